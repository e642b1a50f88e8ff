import { afterEach, describe, expect, it, vi } from 'vitest';
import { createShipments } from '../../src/demo/data.js';
import { createInMemoryDemo, rawSource, until, type InMemoryDemo } from '../helpers/in-memory-demo.js';

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
