import { describe, expect, it } from 'vitest';
import { TransportError } from '../../src/sources/types.js';
import { createInMemoryDemo, rawSource } from '../helpers/in-memory-demo.js';

type Report = { ready: boolean; reasons: string[]; shuttingDown: boolean; sources: { name: string; required: boolean; reachable: boolean | null; circuit: string | null }[] };

describe('/readyz', () => {
  it('is ready with a generation and no required source; turns 503 at once on shutdown, /healthz staying 200', async () => {
    await using demo = await createInMemoryDemo();
    const ready = await demo.gateway.fetch('http://gateway/readyz');
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as Report).reasons).toEqual([]);
    demo.gateway.readiness.beginShutdown();
    const stopping = await demo.gateway.fetch('http://gateway/readyz');
    expect(stopping.status).toBe(503);
    expect((await stopping.json()) as Report).toMatchObject({ ready: false, shuttingDown: true, reasons: ['shutting down'] });
    expect((await demo.gateway.fetch('http://gateway/healthz')).status).toBe(200);
  });

  it('needs a required source to have answered lately and its breaker not to be open', async () => {
    await using demo = await createInMemoryDemo({
      edit: (raw) => Object.assign(rawSource(raw, 'inventory'), { required: true, breaker: { consecutiveFailures: 2, minCalls: 100, openMs: 60_000 } }),
    });
    // A call answered: reachable, without any probe.
    expect((await demo.query('{ product(id: "p1") { id } }')).body.data).toEqual({ product: { id: 'p1' } });
    const ready = (await (await demo.gateway.fetch('http://gateway/readyz')).json()) as Report;
    expect(ready.ready).toBe(true);
    expect(ready.sources.find((s) => s.name === 'inventory')).toMatchObject({ required: true, reachable: true, circuit: 'closed' });
    expect(ready.sources.find((s) => s.name === 'orders')).toMatchObject({ required: false, reachable: null });

    demo.backends.answer('inventory.product', () => {
      throw new TransportError('unavailable', 'connection refused');
    });
    for (let i = 0; i < 2; i++) await demo.query(`{ product(id: "p${i + 5}") { id } }`);
    const open = await demo.gateway.fetch('http://gateway/readyz');
    expect(open.status).toBe(503);
    expect(((await open.json()) as Report).reasons).toEqual(['required source inventory: its circuit breaker is open']);
  });
});
