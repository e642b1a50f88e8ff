import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRetainedState } from '../../src/pipeline/retained.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { createInMemoryBackends, createInMemoryDemo, demoConfig, rawSource, until, type InMemoryDemo } from '../helpers/in-memory-demo.js';
import { parsePrometheusText, samplesOf } from '../helpers/prometheus-text.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * A reload is two-phase: building the next generation changes nothing the serving one uses, and what it changes
 * in the state they share (breakers, slots, replica health) takes effect only when it is swapped in. State the
 * new generation drops stays alive until the last generation using it closes.
 */

const DEMO_LINKS = join(import.meta.dirname, '..', '..', 'schemas', 'links.graphql');
const SHIPMENT = '{ shipmentByOrder(orderId: "1") { status } }';

function disposable(value: { disposed: boolean }): Disposable & { disposed: boolean } {
  return Object.assign(value, { [Symbol.dispose]: () => void (value.disposed = true) });
}

describe('retained state: leases', () => {
  it('shares a value between generations, and makes a new one for a generation alone until it commits', () => {
    const retained = createRetainedState();
    const first = retained.lease();
    const a = first.get('s', 'stage', 'k', () => disposable({ disposed: false }));
    first.commit();
    const refused = retained.lease();
    expect(refused.get('s', 'stage', 'k', () => disposable({ disposed: false }))).toBe(a);
    const fresh = refused.get('s', 'stage', 'other', () => disposable({ disposed: false }));
    let applied = false;
    refused.onCommit(() => (applied = true));
    refused.release(); // refused: never committed
    expect(fresh.disposed).toBe(true);
    expect(a.disposed).toBe(false);
    expect(applied).toBe(false);
    const next = retained.lease();
    expect(next.get('s', 'stage', 'other', () => disposable({ disposed: false }))).not.toBe(fresh);
  });

  it('drops what the committed generation did not ask for, and disposes it when the last generation holding it closes', () => {
    const retained = createRetainedState();
    const first = retained.lease();
    const removed = first.get('gone', 'breaker', 'circuit', () => disposable({ disposed: false }));
    const kept = first.get('s', 'breaker', 'circuit', () => disposable({ disposed: false }));
    first.commit();
    const second = retained.lease();
    second.get('s', 'breaker', 'circuit', () => disposable({ disposed: true }));
    const order: string[] = [];
    second.onCommit(() => order.push('first change'));
    second.onCommit(() => order.push('second change'));
    expect(order).toEqual([]);
    second.commit();
    expect(order).toEqual(['first change', 'second change']);
    expect(removed.disposed).toBe(false); // the first generation still drains
    first.release();
    expect(removed.disposed).toBe(true);
    expect(kept.disposed).toBe(false);
    retained[Symbol.dispose]();
    expect(kept.disposed).toBe(true);
  });
});

describe('reloads and the state generations share (finding 1)', () => {
  let demo: InMemoryDemo | undefined;
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await demo?.[Symbol.asyncDispose]();
    await gateway?.[Symbol.asyncDispose]();
    demo = undefined;
    gateway = undefined;
  });

  it('a refused reload that changed a breaker and the backpressure limits leaves the serving generation as it was', async () => {
    using dir = tempDir();
    const badLinks = dir.write('links.graphql', `${readFileSync(DEMO_LINKS, 'utf8')}\nextend type Order { oops: Shipment @delegate(source: "logistics", field: "noSuchField") }\n`);
    demo = await createInMemoryDemo();
    expect((await demo.query(SHIPMENT)).body).toEqual({ data: { shipmentByOrder: { status: 'IN_TRANSIT' } } });
    const refused = demoConfig((raw) => {
      raw['links'] = badLinks;
      Object.assign(rawSource(raw, 'logistics'), { breaker: { openMs: 10_000 }, backpressure: { maxInFlight: 1, maxQueued: 0 } });
    });
    await expect(demo.gateway.reload(refused)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });

    // Its breaker was not shut down under it ...
    expect((await demo.query(SHIPMENT)).body).toEqual({ data: { shipmentByOrder: { status: 'IN_TRANSIT' } } });
    // ... and its slots keep the limits it was built with (one in flight, none queued would refuse the second).
    demo.backends.calls.length = 0;
    const release = demo.backends.hold('logistics.shipmentByOrder');
    const first = demo.query(SHIPMENT);
    await until(() => demo!.backends.count('logistics.shipmentByOrder') === 1);
    const second = demo.query('{ shipmentByOrder(orderId: "2") { status } }');
    await until(() => demo!.backends.count('logistics.shipmentByOrder') === 2);
    release();
    expect((await first).body.errors).toBeUndefined();
    expect((await second).body.errors).toBeUndefined();
  });

  it('a request in flight across a reload that changes a breaker keeps a working breaker', async () => {
    demo = await createInMemoryDemo();
    const release = demo.backends.hold('orders.getOrder');
    const pending = demo.query('{ order(id: "1") { id shipment { status } } }');
    await until(() => demo!.backends.count('orders.getOrder') === 1);
    await demo.gateway.reload(demoConfig((raw) => void (rawSource(raw, 'logistics')['breaker'] = { errorPercent: 60 })));
    release();
    expect((await pending).body).toEqual({ data: { order: { id: '1', shipment: { status: 'IN_TRANSIT' } } } });
    expect(demo.gateway.current.sources.get('logistics')!.resilience().circuit).toBe('closed');
  });

  it('a source removed by a reload keeps working for the requests of the generation still draining', async () => {
    using dir = tempDir();
    // The new configuration has no logistics source, and no link to it.
    const links = dir.write('links.graphql', readFileSync(DEMO_LINKS, 'utf8').replace(/^.*Where the order is.*\n.*@delegate\(source: "logistics".*$/m, ''));
    demo = await createInMemoryDemo();
    const release = demo.backends.hold('orders.getOrder');
    const pending = demo.query('{ order(id: "1") { id shipment { status } } }');
    await until(() => demo!.backends.count('orders.getOrder') === 1);
    await demo.gateway.reload(
      demoConfig((raw) => {
        raw['links'] = links;
        raw['sources'] = (raw['sources'] as Record<string, unknown>[]).filter((s) => s['name'] !== 'logistics');
      }),
    );
    release();
    expect((await pending).body).toEqual({ data: { order: { id: '1', shipment: { status: 'IN_TRANSIT' } } } });
  });
});

describe('reloads and replicas (findings 10 and 17)', () => {
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.[Symbol.asyncDispose]();
    gateway = undefined;
  });

  it('a reload that removes health.active brings back the replicas its checks had taken out', async () => {
    const A = 'http://logistics-a.test';
    const B = 'http://logistics-b.test';
    const backends = createInMemoryBackends();
    const edit = (active: boolean) => (raw: Record<string, unknown>) =>
      void Object.assign(rawSource(raw, 'logistics'), { endpoints: [A, B], balance: 'round-robin', health: active ? { active: { path: '/healthz', intervalMs: 60_000, unhealthyAfter: 1 } } : {} });
    gateway = await createGateway(demoConfig(edit(true)), {
      transportFor: (source) => {
        const transport = backends.transportFor(source);
        if (source.config.name !== 'logistics') return transport;
        return Object.assign(transport, {
          checkHealth: async (endpoint: string) => {
            if (endpoint === B) throw new Error('B is down for maintenance');
          },
        });
      },
    });
    const conditionOfB = () => gateway!.current.sources.get('logistics')!.resilience().replicas.find((r) => r.url === B)!.condition;
    await until(() => conditionOfB() === 'unhealthy', 'B taken out by its check');

    await gateway.reload(demoConfig(edit(false)));
    expect(conditionOfB()).toBe('up');
    backends.calls.length = 0;
    for (let i = 0; i < 4; i++) await gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ shipmentByOrder(orderId: "${i}") { status } }` }) });
    expect(backends.calls.map((c) => c.endpoint).sort()).toEqual([A, A, B, B]);
  });

  it('forgets the replicas a reload removed: their state, their breakers and their gauges', async () => {
    const backends = createInMemoryBackends();
    const pods = (n: number) => (raw: Record<string, unknown>) => void (rawSource(raw, 'logistics')['endpoints'] = [`http://pod-${n}-a.test`, `http://pod-${n}-b.test`]);
    gateway = await createGateway(demoConfig(pods(0)), { transportFor: backends.transportFor });
    for (let n = 1; n <= 5; n++) {
      await gateway.reload(demoConfig(pods(n)));
      // Each replaced generation closes at once (nothing in flight): its four transports are disposed.
      await until(() => backends.disposed.length === 4 * n, `generation ${n - 1} closed`);
    }
    const families = parsePrometheusText(await (await gateway.fetch('http://gateway.test/metrics')).text());
    const endpointsOf = (metric: string) =>
      samplesOf(families, metric)
        .filter((s) => s.labels['source'] === 'logistics' && s.labels['endpoint'] !== '*')
        .map((s) => s.labels['endpoint'])
        .sort();
    expect(endpointsOf('interchange_replica_up')).toEqual(['http://pod-5-a.test', 'http://pod-5-b.test']);
    expect(endpointsOf('interchange_circuit_state')).toEqual(['http://pod-5-a.test', 'http://pod-5-b.test']);
  });
});
