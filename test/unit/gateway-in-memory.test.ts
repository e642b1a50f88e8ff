import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SEED_QUERY } from '../../src/demo/seed-query.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { TransportError } from '../../src/sources/types.js';
import { SEED_RESULT } from '../helpers/demo-gateway.js';
import { tempDir } from '../helpers/temp-dir.js';
import { createInMemoryDemo, demoConfig, rawSource, until, type InMemoryDemo } from '../helpers/in-memory-demo.js';

const DEMO_LINKS = join(import.meta.dirname, '..', '..', 'schemas', 'links.graphql');

/**
 * The gateway's own logic through `gateway.fetch()` over in-memory transports: no sockets, no processes, no
 * real time. Order and parallelism are proven by which calls have arrived while others are held, never by clocks.
 */
/** Runs a subscription over SSE through `gateway.fetch()`; the whole event stream as text. */
async function subscribe(gateway: Gateway, query: string): Promise<string> {
  const response = await gateway.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query }),
  });
  return response.text();
}

describe('the gateway over in-memory transports', () => {
  let demo: InMemoryDemo | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await demo?.[Symbol.asyncDispose]();
    demo = undefined;
  });

  it('answers the seed query through both batched links with one call per backend', async () => {
    demo = await createInMemoryDemo();
    const { status, body } = await demo.query(SEED_QUERY);
    expect(status).toBe(200);
    expect(body).toEqual({ data: SEED_RESULT });
    expect(demo.backends.calls.map((c) => `${c.source}.${c.field}`).sort()).toEqual(['inventory.productsByIds', 'logistics.shipmentsByOrders', 'orders.getOrder']);
    expect(demo.backends.calls.find((c) => c.field === 'productsByIds')!.args).toEqual({ ids: ['p1', 'p2'] });
  });

  it('calls the linked sources only after the parent answered, and both of them at once', async () => {
    demo = await createInMemoryDemo();
    const releaseOrder = demo.backends.hold('orders.getOrder');
    const releaseProducts = demo.backends.hold('inventory.productsByIds');
    const releaseShipments = demo.backends.hold('logistics.shipmentsByOrders');
    const answer = demo.query(SEED_QUERY);
    await until(() => demo!.backends.count('orders.getOrder') === 1);
    expect(demo.backends.calls).toHaveLength(1); // nothing linked starts before its parent is known
    releaseOrder();
    await until(() => demo!.backends.calls.length === 3);
    expect(demo.backends.inFlight.now).toBe(2); // products and shipment are in flight together
    releaseProducts();
    releaseShipments();
    expect((await answer).body).toEqual({ data: SEED_RESULT });
  });

  it('runs root fields in parallel', async () => {
    demo = await createInMemoryDemo();
    const releases = ['orders.getOrder', 'inventory.product', 'logistics.shipmentByOrder'].map((key) => demo!.backends.hold(key));
    const answer = demo.query('{ order(id: "1") { id } product(id: "p1") { id } shipmentByOrder(orderId: "1") { id } }');
    await until(() => demo!.backends.calls.length === 3);
    expect(demo.backends.inFlight.max).toBe(3);
    for (const release of releases) release();
    expect((await answer).body).toEqual({ data: { order: { id: '1' }, product: { id: 'p1' }, shipmentByOrder: { id: 's1' } } });
  });

  it('makes one call for the same read within a request', async () => {
    demo = await createInMemoryDemo();
    const { body } = await demo.query('{ a: product(id: "p1") { name } b: product(id: "p1") { price } c: product(id: "p2") { id } }');
    expect(body.data).toEqual({ a: { name: 'Pallet jack' }, b: { price: 349.99 }, c: { id: 'p2' } });
    expect(demo.backends.count('inventory.product')).toBe(2);
  });

  it('keeps at most maxConcurrency unbatched link calls of one request in flight', async () => {
    demo = await createInMemoryDemo({ edit: (raw) => void (rawSource(raw, 'inventory')['maxConcurrency'] = 3) });
    const release = demo.backends.hold('inventory.product');
    // Review.product links each review back to inventory, one call per distinct product (8 of p1..p10 have reviews).
    const answer = demo.query('{ products(limit: 10) { id reviews { product { id } } } }');
    await until(() => demo!.backends.count('inventory.product') === 3);
    // Held calls never finish, so a fourth could only start by exceeding the limit.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(demo.backends.count('inventory.product')).toBe(3);
    release();
    const { body } = await answer;
    expect(body.errors).toBeUndefined();
    expect(demo.backends.count('inventory.product')).toBe(8);
  });

  it('keeps at most maxConcurrency unbatched link calls to a remote GraphQL source in flight', async () => {
    using dir = tempDir();
    const links = dir.write(
      'links.graphql',
      `${readFileSync(DEMO_LINKS, 'utf8')}\nextend type Order { reviewsOfOrder: [Review!] @delegate(source: "reviews", field: "reviewsByProduct", args: { productId: "$parent.id" }) }\n`,
    );
    demo = await createInMemoryDemo({ edit: (raw) => void ((raw['links'] = links), (rawSource(raw, 'reviews')['maxConcurrency'] = 3)) });
    const release = demo.backends.hold('reviews.reviewsByProduct');
    const answer = demo.query('{ orders(first: 10) { orders { id reviewsOfOrder { id } } } }');
    await until(() => demo!.backends.count('reviews.reviewsByProduct') === 3);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(demo.backends.count('reviews.reviewsByProduct')).toBe(3);
    release();
    const { body } = await answer;
    expect(body.errors).toBeUndefined();
    expect(demo.backends.count('reviews.reviewsByProduct')).toBe(10);
  });

  it('completes the objects a batched link to a remote source returns of a merged type from the other source', async () => {
    using dir = tempDir();
    const links = dir.write(
      'links.graphql',
      `${readFileSync(DEMO_LINKS, 'utf8')}\nextend type Review { ratedProduct: Product @delegate(source: "reviews", field: "productRatings", args: { ids: "$parent.productId" }, key: "id") }\n`,
    );
    demo = await createInMemoryDemo({ edit: (raw) => void (raw['links'] = links) });
    const { body } = await demo.query('{ reviewsByProduct(productId: "p2") { id ratedProduct { reviewCount name } } }');
    expect(body).toEqual({ data: { reviewsByProduct: ['r2', 'r3'].map((id) => ({ id, ratedProduct: { reviewCount: 2, name: 'Barcode scanner' } })) } });
    expect(demo.backends.calls.map((c) => `${c.source}.${c.field}`)).toEqual(['reviews.reviewsByProduct', 'reviews.productRatings', 'inventory.productsByIds']);
  });

  it('degrades only the field whose source failed: null, a coded error naming the source, the rest intact, HTTP 200', async () => {
    demo = await createInMemoryDemo();
    demo.backends.answer('logistics.shipmentsByOrders', () => {
      throw new TransportError('unavailable', 'connection refused');
    });
    const { status, body } = await demo.query(SEED_QUERY);
    expect(status).toBe(200);
    expect(body.data).toEqual({ order: { ...SEED_RESULT.order, shipment: null } });
    expect(body.errors).toEqual([
      expect.objectContaining({ path: ['order', 'shipment'], extensions: expect.objectContaining({ code: 'SOURCE_UNAVAILABLE', source: 'logistics' }) }),
    ]);
  });

  it('serves the last good answer marked stale, with its age, when the backend fails', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-29T12:00:00Z'), toFake: ['Date'] });
    demo = await createInMemoryDemo();
    expect((await demo.query(SEED_QUERY)).body).toEqual({ data: SEED_RESULT });
    vi.setSystemTime(new Date('2026-11-29T12:00:42Z'));
    demo.backends.answer('logistics.shipmentsByOrders', () => {
      throw new TransportError('unavailable', 'HTTP 503', { status: 503 });
    });
    const { status, headers, body } = await demo.query(SEED_QUERY);
    expect(status).toBe(200);
    expect(body).toEqual({ data: SEED_RESULT, extensions: { stale: [{ source: 'logistics', path: ['order', 'shipment'], age: 42 }] } });
    expect(headers.get('cache-status')).toContain('interchange-logistics; hit; detail=stale');
  });

  it('never serves stale data for a request the backend refused', async () => {
    demo = await createInMemoryDemo();
    await demo.query('{ product(id: "p1") { id } }');
    demo.backends.answer('inventory.product', () => {
      throw new TransportError('rejected', 'HTTP 404', { status: 404 }, { code: 'SOURCE_BAD_RESPONSE' });
    });
    const { body } = await demo.query('{ product(id: "p1") { id } }');
    expect(body.data).toEqual({ product: null });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'inventory', status: 404 });
    expect(body.extensions).toBeUndefined();
  });

  it('answers SOURCE_TIMEOUT at the call timeout when a backend never answers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    demo = await createInMemoryDemo({ edit: (raw) => void (rawSource(raw, 'logistics')['timeoutMs'] = 2_000) });
    demo.backends.hold('logistics.shipmentsByOrders');
    const answer = demo.query(SEED_QUERY);
    await until(() => demo!.backends.count('logistics.shipmentsByOrders') === 1);
    await vi.advanceTimersByTimeAsync(1_999);
    let settled = false;
    void answer.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const { body } = await answer;
    expect(body.data).toEqual({ order: { ...SEED_RESULT.order, shipment: null } });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'logistics', timeoutMs: 2_000 });
  });

  it('labels call metrics with the code the client got, and cache hits as hits', async () => {
    demo = await createInMemoryDemo({ edit: (raw) => void (rawSource(raw, 'inventory')['cache'] = { ttl: 60 }) });
    await demo.query('{ product(id: "p1") { id } }');
    await demo.query('{ product(id: "p1") { id } }');
    demo.backends.answer('logistics.shipmentByOrder', () => {
      throw new TransportError('unavailable', 'refused');
    });
    await demo.query('{ shipmentByOrder(orderId: "9") { id } }');
    const metrics = await (await demo.gateway.fetch('http://gateway.test/metrics')).text();
    const count = (source: string, outcome: string) =>
      Number(new RegExp(`interchange_source_call_duration_seconds_count\\{source="${source}",operation="[^"]+",outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(count('inventory', 'ok')).toBe(1);
    expect(count('inventory', 'hit')).toBe(1);
    expect(count('logistics', 'SOURCE_UNAVAILABLE')).toBe(1);
    expect(metrics).not.toContain('outcome="error"');
  });

  it('fails over to the next replica when one is unavailable', async () => {
    // One failure ejects a replica here (health.failures: 1), so the second query shows the ejection.
    demo = await createInMemoryDemo({ edit: (raw) => void Object.assign(rawSource(raw, 'inventory'), { endpoints: ['http://a.test', 'http://b.test'], balance: 'round-robin', health: { failures: 1 } }) });
    demo.backends.answer('inventory.product', (args, call) => {
      if (call.endpoint === 'http://a.test') throw new TransportError('unavailable', 'refused');
      return { id: String(args['id']), name: 'from b' };
    });
    const first = await demo.query('{ product(id: "p1") { name } }');
    expect(first.body.data).toEqual({ product: { name: 'from b' } });
    // a is ejected: the next call goes straight to b.
    demo.backends.calls.length = 0;
    await demo.query('{ product(id: "p2") { name } }');
    expect(demo.backends.calls.map((c) => c.endpoint)).toEqual(['http://b.test']);
  });

  it('builds every source the same pipeline, in the one order', async () => {
    demo = await createInMemoryDemo();
    for (const source of demo.gateway.current.sources.values()) {
      expect(source.stages).toEqual(['metrics', 'error-mapping', 'cache', 'breaker', 'backpressure', 'retry', 'timeout', 'replicas']);
    }
  });

  it('streams a subscription through the pipeline: replica choice, error mapping, stream metrics', async () => {
    // A transport that streams: endpoint a refuses to open, b sends two updates.
    const opened: string[] = [];
    const config = demoConfig((raw) => void (rawSource(raw, 'orders')['endpoints'] = ['orders-a.test:1', 'orders-b.test:1']));
    await using gateway = await createGateway(config, {
      transportFor: () => ({
        call: async () => null,
        async *subscribe(endpoint, _operation, args) {
          opened.push(endpoint);
          if (endpoint === 'orders-a.test:1') throw new TransportError('unavailable', 'refused');
          yield { orderId: args['id'], status: 'PACKED', at: '2026-11-29T00:00:00Z' };
          yield { orderId: args['id'], status: 'SHIPPED', at: '2026-11-29T00:00:01Z' };
        },
        async [Symbol.asyncDispose]() {},
      }),
    });
    const text = await subscribe(gateway, 'subscription { watchOrderStatus(id: "1") { status } }');
    expect(text.match(/"status":"(\w+)"/g)).toEqual(['"status":"PACKED"', '"status":"SHIPPED"']);
    expect(opened).toEqual(['orders-a.test:1', 'orders-b.test:1']);
    const metrics = await (await gateway.fetch('http://gateway.test/metrics')).text();
    expect(metrics).toMatch(/interchange_source_streams_total\{source="orders",operation="[^"]*WatchOrderStatus",outcome="ok"\} 1/);
  });

  it('maps a stream that fails mid-way to the source error and counts it by code', async () => {
    await using gateway = await createGateway(demoConfig(), {
      transportFor: () => ({
        call: async () => null,
        async *subscribe(_endpoint, _operation, args) {
          yield { orderId: args['id'], status: 'PACKED', at: '2026-11-29T00:00:00Z' };
          throw new TransportError('unavailable', 'stream reset');
        },
        async [Symbol.asyncDispose]() {},
      }),
    });
    const text = await subscribe(gateway, 'subscription { watchOrderStatus(id: "1") { status } }');
    expect(text).toContain('"status":"PACKED"');
    expect(text).toContain('"code":"SOURCE_UNAVAILABLE"');
    expect(text).toContain('"source":"orders"');
    const metrics = await (await gateway.fetch('http://gateway.test/metrics')).text();
    expect(metrics).toMatch(/interchange_source_streams_total\{source="orders",operation="[^"]*WatchOrderStatus",outcome="SOURCE_UNAVAILABLE"\} 1/);
  });
});

describe('reloads over in-memory transports', () => {
  let demo: InMemoryDemo | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await demo?.[Symbol.asyncDispose]();
    demo = undefined;
  });

  const renamed = () => demoConfig((raw) => void (rawSource(raw, 'orders')['rename'] = { getOrder: 'purchase', listOrders: 'orders' }));

  it('swaps in the new schema; a request in flight finishes on the old generation, which closes after it', async () => {
    demo = await createInMemoryDemo();
    const release = demo.backends.hold('orders.getOrder', (args) => args['id'] === '1');
    const inFlight = demo.query('{ order(id: "1") { id } }');
    await until(() => demo!.backends.count('orders.getOrder') === 1);
    await demo.gateway.reload(renamed());
    expect((await demo.query('{ purchase(id: "2") { id } }')).body).toEqual({ data: { purchase: { id: '2' } } });
    expect(demo.backends.disposed).toEqual([]); // the old generation still serves the held request
    release();
    expect((await inFlight).body).toEqual({ data: { order: { id: '1' } } });
    await until(() => demo!.backends.disposed.length === 4);
    expect([...demo.backends.disposed].sort()).toEqual(['inventory', 'logistics', 'orders', 'reviews']);
  });

  it('closes an old generation with nothing in flight at once, and a stuck one after drainMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    demo = await createInMemoryDemo({ gateway: { drainMs: 10_000 } });
    await demo.gateway.reload(renamed());
    await until(() => demo!.backends.disposed.length === 4);
    demo.backends.disposed.length = 0;

    demo.backends.hold('orders.getOrder');
    void demo.query('{ purchase(id: "1") { id } }').catch(() => undefined);
    await until(() => demo!.backends.count('orders.getOrder') === 1);
    await demo.gateway.reload(demoConfig());
    await vi.advanceTimersByTimeAsync(9_999);
    expect(demo.backends.disposed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => demo!.backends.disposed.length === 4);
  });

  it('refuses a config whose links no longer resolve and keeps serving the old one', async () => {
    demo = await createInMemoryDemo();
    const broken = demoConfig((raw) => void (raw['sources'] = (raw['sources'] as Record<string, unknown>[]).filter((s) => s['name'] !== 'logistics')));
    await expect(demo.gateway.reload(broken)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect((await demo.query(SEED_QUERY)).body).toEqual({ data: SEED_RESULT });
    expect(demo.backends.disposed).toEqual(['inventory', 'orders', 'reviews']); // only the half-built generation's
  });

  it('keeps a replica ejected across a reload', async () => {
    const twoReplicas = (raw: Record<string, unknown>) =>
      void Object.assign(rawSource(raw, 'inventory'), { endpoints: ['http://a.test', 'http://b.test'], balance: 'round-robin', health: { failures: 1 } });
    demo = await createInMemoryDemo({ edit: twoReplicas });
    demo.backends.answer('inventory.product', (args, call) => {
      if (call.endpoint === 'http://a.test') throw new TransportError('unavailable', 'refused');
      return { id: String(args['id']) };
    });
    await demo.query('{ product(id: "p1") { id } }');
    await demo.gateway.reload(demoConfig(twoReplicas));
    demo.backends.calls.length = 0;
    await demo.query('{ product(id: "p2") { id } }');
    await demo.query('{ product(id: "p3") { id } }');
    expect(demo.backends.calls.map((c) => c.endpoint)).toEqual(['http://b.test', 'http://b.test']);
  });
});
