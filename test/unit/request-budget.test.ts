import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createShipments } from '../../src/demo/data.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { readSseEvents } from '../../src/sources/sse-events.js';
import { createInMemoryBackends, createInMemoryDemo, demoConfig, rawSource, until, type InMemoryDemo } from '../helpers/in-memory-demo.js';
import { tempDir } from '../helpers/temp-dir.js';

const DEMO_LINKS = join(import.meta.dirname, '..', '..', 'schemas', 'links.graphql');

/**
 * `server.requestTimeoutMs` is one request's budget for its backend calls: a call gets what is left of it. When
 * the budget runs out it is the request's doing, not the backend's, and must not count against the backend.
 */
describe('the request\'s time budget', () => {
  let demo: InMemoryDemo | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await demo?.[Symbol.asyncDispose]();
    demo = undefined;
  });

  it('one slow source eating the budget never opens a healthy source\'s breakers or ejects its replicas (finding 2)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    demo = await createInMemoryDemo({
      edit: (raw) => {
        (raw['server'] as Record<string, unknown>)['requestTimeoutMs'] = 200;
        rawSource(raw, 'logistics')['endpoints'] = ['http://logistics-a.test', 'http://logistics-b.test'];
      },
    });
    const shipments = createShipments();
    // logistics is healthy: every call is answered in 30 ms.
    const inThirtyMs = <T>(value: () => T) => new Promise<T>((resolve) => setTimeout(() => resolve(value()), 30));
    demo.backends.answer('logistics.shipmentsByOrders', (args) => inThirtyMs(() => (args['orderIds'] as string[]).flatMap((id) => shipments.get(id) ?? [])));
    demo.backends.answer('logistics.shipmentByOrder', (args) => inThirtyMs(() => shipments.get(String(args['orderId'])) ?? null));
    const logisticsCircuit = () => demo!.gateway.current.sources.get('logistics')!.resilience().circuit;
    // orders is slow today: 185 ms of the 200 ms budget, so logistics gets 15 ms.
    for (let i = 0; i < 12; i++) {
      const release = demo.backends.hold('orders.getOrder');
      const answer = demo.query('{ order(id: "1") { id shipment { status } } }');
      await until(() => demo!.backends.count('orders.getOrder') === i + 1);
      await vi.advanceTimersByTimeAsync(185);
      release();
      await until(() => demo!.backends.count('logistics.shipmentsByOrders') === i + 1 || logisticsCircuit() === 'open');
      await vi.advanceTimersByTimeAsync(30);
      const { body } = await answer;
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'logistics', timeoutMs: 15 });
    }
    const logistics = demo.gateway.current.sources.get('logistics')!.resilience();
    expect(logisticsCircuit()).toBe('closed');
    expect(logistics.replicas.map((r) => [r.condition, r.failures, r.circuit])).toEqual([
      ['up', 0, 'closed'],
      ['up', 0, 'closed'],
    ]);
    // Another client, straight to logistics, is answered.
    const direct = demo.query('{ shipmentByOrder(orderId: "1") { status } }');
    await until(() => demo!.backends.count('logistics.shipmentByOrder') === 1);
    await vi.advanceTimersByTimeAsync(30);
    expect((await direct).body).toEqual({ data: { shipmentByOrder: { status: 'IN_TRANSIT' } } });
  });
});

describe('a subscription\'s events', () => {
  let gateway: Gateway | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await gateway?.[Symbol.asyncDispose]();
    gateway = undefined;
  });

  it('are each resolved like a request of their own: fresh answers from their links and a fresh time budget (finding 7)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    using dir = tempDir();
    const links = dir.write('links.graphql', `${readFileSync(DEMO_LINKS, 'utf8')}
extend type OrderStatusUpdate {
  shipment: Shipment @delegate(source: "logistics", field: "shipmentByOrder", args: { orderId: "$parent.orderId" })
}
`);
    const backends = createInMemoryBackends();
    let status = 'IN_TRANSIT';
    backends.answer('logistics.shipmentByOrder', (args) => ({ orderId: args['orderId'], status, carrier: 'DHL', eta: null }));
    // The orders service streams an update whenever the test pushes one.
    const updates: unknown[] = [];
    let wake: (() => void) | undefined;
    const push = (update: unknown) => (updates.push(update), wake?.());
    gateway = await createGateway(
      demoConfig((raw) => {
        raw['links'] = links;
        (raw['server'] as Record<string, unknown>)['requestTimeoutMs'] = 1_000;
      }),
      {
        transportFor: (source) =>
          source.config.name !== 'orders'
            ? backends.transportFor(source)
            : Object.assign(backends.transportFor(source), {
                async *subscribe() {
                  for (;;) {
                    while (updates.length > 0) yield updates.shift();
                    await new Promise<void>((resolve) => (wake = resolve));
                  }
                },
              }),
      },
    );
    const client = new AbortController();
    const response = await gateway.fetch('http://gateway.test/graphql', {
      method: 'POST',
      signal: client.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { watchOrderStatus(id: "1") { orderId status shipment { status } } }' }),
    });
    const events = readSseEvents(response.body!);
    const nextEvent = async () => {
      for (let event = await events.next(); !event.done; event = await events.next()) if (event.value.event === 'next') return JSON.parse(event.value.data) as unknown;
      throw new Error('the stream ended');
    };
    push({ orderId: '1', status: 'SHIPPED', at: '2026-11-29T10:00:00Z' });
    expect(await nextEvent()).toEqual({ data: { watchOrderStatus: { orderId: '1', status: 'SHIPPED', shipment: { status: 'IN_TRANSIT' } } } });
    // Much later than the request budget after the subscription began, the shipment has moved on.
    status = 'DELIVERED';
    await vi.advanceTimersByTimeAsync(5_000);
    push({ orderId: '1', status: 'SHIPPED', at: '2026-11-29T10:00:05Z' });
    expect(await nextEvent()).toEqual({ data: { watchOrderStatus: { orderId: '1', status: 'SHIPPED', shipment: { status: 'DELIVERED' } } } });
    expect(backends.count('logistics.shipmentByOrder')).toBe(2);
    client.abort();
    await events.return(undefined).catch(() => undefined);
  });
});
