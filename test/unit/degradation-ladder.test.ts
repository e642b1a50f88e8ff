import { afterEach, describe, expect, it, vi } from 'vitest';
import { TransportError } from '../../src/sources/types.js';
import { createInMemoryDemo, rawSource, until, type InMemoryDemo } from '../helpers/in-memory-demo.js';

/**
 * The degradation ladder of one source call, rung by rung, on exact responses: another replica → the last good
 * answer marked stale → the configured fallback → null with the error code. Over in-memory transports, so the
 * gateway's own logic is what is tested; the real-process suites show the same under load.
 */
const SHIPMENT = '{ shipmentByOrder(orderId: "1") { id status carrier } }';
const FALLBACK = { id: 'unknown', status: 'PENDING', carrier: 'unknown' };

function ladderConfig(extra: Record<string, unknown> = {}) {
  return (raw: Record<string, unknown>) =>
    void Object.assign(rawSource(raw, 'logistics'), {
      endpoints: ['http://a.test', 'http://b.test'],
      balance: 'round-robin',
      retry: { baseDelayMs: 0 },
      health: { failures: 1000 },
      breaker: { minCalls: 1000 },
      operations: { shipmentByOrder: { fallback: { ...FALLBACK, orderId: '?', eta: '1970-01-01T00:00:00Z' } } },
      ...extra,
    });
}

describe('the degradation ladder', () => {
  let demo: InMemoryDemo | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await demo?.[Symbol.asyncDispose]();
    demo = undefined;
  });

  /** Replicas in `down` refuse connections; the others answer from the demo data. */
  function failReplicas(...down: string[]) {
    demo!.backends.reset();
    const refuse = (field: string) =>
      demo!.backends.answer(`logistics.${field}`, (args, call) => {
        if (down.includes(call.endpoint)) throw new TransportError('unavailable', `${call.endpoint} refused`);
        return field === 'shipmentByOrder' ? { id: 's1', orderId: String(args['orderId']), status: 'IN_TRANSIT', carrier: 'DHL', eta: '2026-12-01T12:00:00Z' } : [];
      });
    refuse('shipmentByOrder');
    refuse('shipmentsByOrders');
  }

  it('answers from another replica, then stale, then the fallback, then null with the code', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-29T12:00:00Z'), toFake: ['Date'] });
    demo = await createInMemoryDemo({ edit: ladderConfig() });

    // Rung 1: replica a refuses, b answers. The client cannot tell.
    failReplicas('http://a.test');
    expect((await demo.query(SHIPMENT)).body).toEqual({ data: { shipmentByOrder: { id: 's1', status: 'IN_TRANSIT', carrier: 'DHL' } } });
    expect(demo.backends.calls.map((c) => c.endpoint)).toEqual(['http://a.test', 'http://b.test']);

    // Rung 2: both refuse; the last good answer (7 s old) is served, marked stale.
    vi.setSystemTime(new Date('2026-11-29T12:00:07Z'));
    failReplicas('http://a.test', 'http://b.test');
    const stale = await demo.query(SHIPMENT);
    expect(stale.body).toEqual({
      data: { shipmentByOrder: { id: 's1', status: 'IN_TRANSIT', carrier: 'DHL' } },
      extensions: { stale: [{ source: 'logistics', path: ['shipmentByOrder'], age: 7 }] },
    });
    expect(demo.backends.calls).toHaveLength(3); // the first attempt and two retries, across both replicas

    // Rung 3: nothing cached for order 2: the configured fallback, saying why.
    const fallback = await demo.query('{ shipmentByOrder(orderId: "2") { id status carrier } }');
    expect(fallback.status).toBe(200);
    expect(fallback.body).toEqual({
      data: { shipmentByOrder: FALLBACK },
      extensions: { fallback: [{ source: 'logistics', path: ['shipmentByOrder'], reason: 'SOURCE_UNAVAILABLE' }] },
    });

    // Rung 4: an operation without a fallback: null and the code, naming the source.
    const error = await demo.query('{ shipmentsByOrders(orderIds: ["3"]) { id } }');
    expect(error.status).toBe(200);
    expect(error.body).toEqual({
      data: { shipmentsByOrders: null },
      errors: [
        {
          message: 'logistics: http://a.test refused', // the last of three attempts: a, b, then a again
          locations: [{ line: 1, column: 3 }],
          path: ['shipmentsByOrders'],
          extensions: { code: 'SOURCE_UNAVAILABLE', source: 'logistics' },
        },
      ],
    });
  });

  it('with the breaker open, goes straight to stale, fallback or CIRCUIT_OPEN without calling the backend', async () => {
    demo = await createInMemoryDemo({ edit: ladderConfig({ breaker: { minCalls: 2, errorPercent: 50, openMs: 60_000 }, retry: { attempts: 0 } }) });
    failReplicas();
    await demo.query(SHIPMENT); // cached
    failReplicas('http://a.test', 'http://b.test');
    await demo.query('{ shipmentsByOrders(orderIds: ["9"]) { id } }');
    await demo.query('{ shipmentsByOrders(orderIds: ["9"]) { id } }');
    expect(demo.gateway.current.sources.get('logistics')!.resilience().circuit).toBe('open');
    demo.backends.calls.length = 0;

    expect((await demo.query(SHIPMENT)).body.extensions).toEqual({ stale: [{ source: 'logistics', path: ['shipmentByOrder'], age: expect.any(Number) }] });
    expect((await demo.query('{ shipmentByOrder(orderId: "2") { id status carrier } }')).body).toEqual({
      data: { shipmentByOrder: FALLBACK },
      extensions: { fallback: [{ source: 'logistics', path: ['shipmentByOrder'], reason: 'CIRCUIT_OPEN' }] },
    });
    const open = await demo.query('{ shipmentsByOrders(orderIds: ["3"]) { id } }');
    expect(open.body.data).toEqual({ shipmentsByOrders: null });
    expect(open.body.errors).toEqual([expect.objectContaining({ path: ['shipmentsByOrders'], extensions: { code: 'CIRCUIT_OPEN', source: 'logistics' } })]);
    expect(demo.backends.calls).toHaveLength(0);
  });

  it('answers SOURCE_OVERLOADED (or the fallback) at once beyond the concurrency limit and its queue', async () => {
    demo = await createInMemoryDemo({ edit: ladderConfig({ backpressure: { maxInFlight: 1, maxQueued: 0 } }) });
    const release = demo.backends.hold('logistics.shipmentsByOrders');
    const first = demo.query('{ shipmentsByOrders(orderIds: ["1"]) { id } }');
    await until(() => demo!.backends.count('logistics.shipmentsByOrders') === 1);
    const overloaded = await demo.query('{ shipmentsByOrders(orderIds: ["2"]) { id } }');
    expect(overloaded.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'SOURCE_OVERLOADED', source: 'logistics' } })]);
    expect((await demo.query('{ shipmentByOrder(orderId: "2") { id status carrier } }')).body).toEqual({
      data: { shipmentByOrder: FALLBACK },
      extensions: { fallback: [{ source: 'logistics', path: ['shipmentByOrder'], reason: 'SOURCE_OVERLOADED' }] },
    });
    expect(demo.backends.count('logistics.shipmentsByOrders')).toBe(1);
    release();
    expect((await first).body.errors).toBeUndefined();
    const metrics = await (await demo.gateway.fetch('http://gateway.test/metrics')).text();
    expect(metrics).toMatch(/interchange_source_overloaded_total\{source="logistics"\} 2/);
    expect(metrics).toMatch(/interchange_source_call_duration_seconds_count\{source="logistics",operation="shipmentByOrder",outcome="fallback"\} 1/);
  });
});
