import * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import * as http from 'node:http';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  loadOrdersProto,
  resolveLatencyMs,
  startDemoBackends,
  startInventory,
  startOrders,
  type DemoBackends,
  type Order,
  type OrderStatusUpdate,
  type Product,
  type Review,
  type Shipment,
} from '../../src/demo/index.js';

const P1: Product = { id: 'p1', name: 'Pallet jack', sku: 'PJ-001', price: 349.99, stock: 12, category: 'TOOLS' };
const P2: Product = { id: 'p2', name: 'Barcode scanner', sku: 'BS-002', price: 89.5, stock: 40, category: 'ELECTRONICS' };
const ORDER_1: Order = { id: '1', customerId: 'c-100', productIds: ['p1', 'p2'], status: 'PACKED', totalCents: '43949' };
const SHIPMENT_1: Shipment = { id: 's1', orderId: '1', status: 'IN_TRANSIT', carrier: 'DHL', eta: '2026-12-01T12:00:00Z' };

/** The generated grpc-js client, reduced to what the tests call. */
interface OrderServiceClient extends grpc.Client {
  GetOrder(request: object, callback: grpc.requestCallback<Order>): grpc.ClientUnaryCall;
  ListOrders(request: object, callback: grpc.requestCallback<{ orders: Order[] }>): grpc.ClientUnaryCall;
  CreateOrder(request: object, callback: grpc.requestCallback<Order>): grpc.ClientUnaryCall;
  WatchOrderStatus(request: object): grpc.ClientReadableStream<OrderStatusUpdate>;
}
type OrderServiceConstructor = new (address: string, credentials: grpc.ChannelCredentials) => OrderServiceClient;

async function createOrdersClient(target: string): Promise<OrderServiceClient> {
  const proto = grpc.loadPackageDefinition(await loadOrdersProto());
  const OrderService = (((proto['warehouse'] as grpc.GrpcObject)['orders'] as grpc.GrpcObject)['v1'] as grpc.GrpcObject)[
    'OrderService'
  ] as unknown as OrderServiceConstructor;
  return new OrderService(target, grpc.credentials.createInsecure());
}

function unaryCall<Response>(
  call: (request: object, callback: grpc.requestCallback<Response>) => grpc.ClientUnaryCall,
  request: object,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    call(request, (error, response) => (error ? reject(error) : resolve(response as Response)));
  });
}

function collectStream<T>(stream: grpc.ClientReadableStream<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    stream.on('data', (item: T) => items.push(item));
    stream.on('error', reject);
    stream.on('end', () => resolve(items));
  });
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

async function postJson(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

describe('demo backends', () => {
  let backends: DemoBackends;
  let orders: OrderServiceClient;

  beforeAll(async () => {
    backends = await startDemoBackends({ latencyMs: 0 });
    orders = await createOrdersClient(backends.orders.url);
  });

  afterAll(async () => {
    orders.close();
    await backends.close();
  });

  it('listens on free ports and names itself', () => {
    for (const backend of [backends.inventory, backends.logistics, backends.reviews]) {
      expect(backend.url).toBe(`http://127.0.0.1:${backend.port}`);
      expect(backend.port).toBeGreaterThan(0);
    }
    expect(backends.orders.url).toBe(`127.0.0.1:${backends.orders.port}`);
    expect([backends.inventory.name, backends.logistics.name, backends.orders.name, backends.reviews.name]).toEqual([
      'inventory',
      'logistics',
      'orders',
      'reviews',
    ]);
  });

  describe('inventory (REST)', () => {
    it('serves one product by id', async () => {
      expect(await getJson(`${backends.inventory.url}/products/p1`)).toEqual({ status: 200, body: P1 });
      expect(await getJson(`${backends.inventory.url}/products/p2`)).toEqual({ status: 200, body: P2 });
    });

    it('answers 404 with a JSON message for an unknown product', async () => {
      expect(await getJson(`${backends.inventory.url}/products/p999`)).toEqual({
        status: 404,
        body: { message: 'product p999 not found' },
      });
    });

    it('lists 20 products by default and honours limit', async () => {
      const all = await getJson(`${backends.inventory.url}/products`);
      expect(all.status).toBe(200);
      expect((all.body as Product[]).map((product) => product.id)).toEqual(Array.from({ length: 20 }, (_, i) => `p${i + 1}`));
      const few = await getJson(`${backends.inventory.url}/products?limit=3`);
      expect((few.body as Product[]).map((product) => product.id)).toEqual(['p1', 'p2', 'p3']);
      expect((await getJson(`${backends.inventory.url}/products?limit=abc`)).status).toBe(400);
    });

    it('batches products in the order of ids and omits unknown ids', async () => {
      expect(await getJson(`${backends.inventory.url}/products/batch?ids=p2,p999,p1`)).toEqual({ status: 200, body: [P2, P1] });
      expect((await getJson(`${backends.inventory.url}/products/batch`)).status).toBe(400);
    });

    it('generates every product deterministically with the spec fields', async () => {
      const { body } = await getJson(`${backends.inventory.url}/products?limit=100`);
      const products = body as Product[];
      expect(products).toHaveLength(100);
      for (const product of products) {
        expect(Object.keys(product).sort()).toEqual(['category', 'id', 'name', 'price', 'sku', 'stock']);
        expect(['TOOLS', 'ELECTRONICS', 'PACKAGING']).toContain(product.category);
        expect(Number.isInteger(product.stock)).toBe(true);
        expect(Math.round(product.price * 100) / 100).toBe(product.price);
      }
    });

    it('adjusts stock on its own copy of the data', async () => {
      const url = `${backends.inventory.url}/products/p2/stock-adjustments`;
      expect(await postJson(url, { delta: -5, reason: 'damaged' })).toEqual({ status: 200, body: { ...P2, stock: 35 } });
      expect((await getJson(`${backends.inventory.url}/products/p2`)).body).toEqual({ ...P2, stock: 35 });
      expect((await postJson(url, { delta: 1.5 })).status).toBe(400);
      expect((await postJson(url, { delta: -1000 })).status).toBe(409);
      expect((await postJson(`${backends.inventory.url}/products/p999/stock-adjustments`, { delta: 1 })).status).toBe(404);

      await using fresh = await startInventory();
      expect((await getJson(`${fresh.url}/products/p2`)).body).toEqual(P2);
    });
  });

  describe('logistics (REST)', () => {
    it('serves the shipment of an order', async () => {
      expect(await getJson(`${backends.logistics.url}/orders/1/shipment`)).toEqual({ status: 200, body: SHIPMENT_1 });
    });

    it('answers 404 with a JSON message when an order has no shipment', async () => {
      const { status, body } = await getJson(`${backends.logistics.url}/orders/999/shipment`);
      expect(status).toBe(404);
      expect(body).toEqual({ message: expect.stringContaining('999') });
    });

    it('batches shipments in the order of orderIds', async () => {
      const { status, body } = await getJson(`${backends.logistics.url}/shipments?orderIds=2,999,1`);
      expect(status).toBe(200);
      expect((body as Shipment[]).map((shipment) => [shipment.id, shipment.orderId])).toEqual([
        ['s2', '2'],
        ['s1', '1'],
      ]);
      expect((body as Shipment[])[1]).toEqual(SHIPMENT_1);
    });
  });

  describe('orders (gRPC)', () => {
    it('gets one order', async () => {
      expect(await unaryCall(orders.GetOrder.bind(orders), { id: '1' })).toEqual(ORDER_1);
    });

    it('answers NOT_FOUND with a message for an unknown order', async () => {
      await expect(unaryCall(orders.GetOrder.bind(orders), { id: '999' })).rejects.toMatchObject({
        code: grpc.status.NOT_FOUND,
        details: expect.stringContaining('999'),
      });
    });

    it('lists 20 orders for first = 0, else the first n, each with 1 to 4 known products', async () => {
      const defaults = await unaryCall(orders.ListOrders.bind(orders), { first: 0 });
      expect(defaults.orders.map((order) => order.id)).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1)));
      const all = await unaryCall(orders.ListOrders.bind(orders), { first: 500 });
      expect(all.orders).toHaveLength(200);
      expect(all.orders[0]).toEqual(ORDER_1);
      for (const order of all.orders) {
        expect(order.productIds.length).toBeGreaterThanOrEqual(1);
        expect(order.productIds.length).toBeLessThanOrEqual(4);
        for (const productId of order.productIds) expect(productId).toMatch(/^p([1-9]\d?|100)$/);
      }
    });

    it('creates an order priced from the catalogue', async () => {
      const created = await unaryCall(orders.CreateOrder.bind(orders), { customerId: 'c-7', productIds: ['p1', 'p2', 'p1'] });
      expect(created).toEqual({ id: '201', customerId: 'c-7', productIds: ['p1', 'p2', 'p1'], status: 'PLACED', totalCents: '78948' });
      expect(await unaryCall(orders.GetOrder.bind(orders), { id: '201' })).toEqual(created);
      await expect(unaryCall(orders.CreateOrder.bind(orders), { customerId: 'c-7', productIds: ['nope'] })).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
      });
    });

    it('streams status updates until delivered, then ends', async () => {
      await using fast = await startOrders({ watchIntervalMs: 5 });
      const client = await createOrdersClient(fast.url);
      try {
        const updates = await collectStream(client.WatchOrderStatus({ id: '1' }));
        expect(updates.map((update) => [update.orderId, update.status])).toEqual([
          ['1', 'PACKED'],
          ['1', 'SHIPPED'],
          ['1', 'DELIVERED'],
        ]);
        for (const update of updates) expect(Number.isNaN(Date.parse(update.at))).toBe(false);
        await expect(collectStream(client.WatchOrderStatus({ id: '999' }))).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
      } finally {
        client.close();
      }
    });

    it('stops streaming when the client cancels', async () => {
      // A grace period far past the test's timeout: close() can only finish in time by not waiting for it.
      const fast = await startOrders({ watchIntervalMs: 200, shutdownGraceMs: 10 * 60_000 });
      const client = await createOrdersClient(fast.url);
      try {
        const stream = client.WatchOrderStatus({ id: '1' });
        const first = await new Promise<OrderStatusUpdate>((resolve) => stream.once('data', resolve));
        expect(first).toMatchObject({ orderId: '1', status: 'PACKED' });
        const cancelled = new Promise<unknown>((resolve) => stream.on('error', resolve));
        stream.cancel();
        expect(await cancelled).toMatchObject({ code: grpc.status.CANCELLED });
      } finally {
        client.close();
      }
      // With the call gone the graceful shutdown need not wait for the stream or its grace period.
      await fast.close();
    });
  });

  describe('reviews (GraphQL)', () => {
    async function query(source: string, variables: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
      return postJson(`${backends.reviews.url}/graphql`, { query: source, variables });
    }

    it('serves reviews of one product and of several', async () => {
      const one = await query('query ($id: ID!) { reviewsByProduct(productId: $id) { id productId rating body } }', { id: 'p1' });
      expect(one.status).toBe(200);
      const p1Reviews = (one.body as { data: { reviewsByProduct: Review[] } }).data.reviewsByProduct;
      expect(p1Reviews.length).toBeGreaterThan(0);
      for (const review of p1Reviews) {
        expect(review.productId).toBe('p1');
        expect(review.rating).toBeGreaterThanOrEqual(1);
        expect(review.rating).toBeLessThanOrEqual(5);
      }

      const many = await query('query ($ids: [ID!]!) { reviewsByProducts(productIds: $ids) { id productId } }', {
        ids: ['p2', 'p1', 'p999'],
      });
      const reviews = (many.body as { data: { reviewsByProducts: Review[] } }).data.reviewsByProducts;
      const productIds = reviews.map((review) => review.productId);
      expect(productIds.filter((id) => id === 'p1')).toHaveLength(p1Reviews.length);
      expect(productIds.lastIndexOf('p2')).toBeLessThan(productIds.indexOf('p1'));
      expect(productIds).not.toContain('p999');
    });

    it('has every product with 0 to 3 reviews', async () => {
      const ids = Array.from({ length: 100 }, (_, i) => `p${i + 1}`);
      const { body } = await query('query ($ids: [ID!]!) { reviewsByProducts(productIds: $ids) { productId } }', { ids });
      const counts = new Map<string, number>();
      for (const review of (body as { data: { reviewsByProducts: Review[] } }).data.reviewsByProducts) {
        counts.set(review.productId, (counts.get(review.productId) ?? 0) + 1);
      }
      for (const count of counts.values()) expect(count).toBeLessThanOrEqual(3);
      expect(counts.size).toBeLessThan(100);
    });

    it('serves no GraphiQL page', async () => {
      const response = await fetch(`${backends.reviews.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(response.headers.get('content-type') ?? '').not.toContain('text/html');
    });
  });

  describe('call stats', () => {
    it('counts calls per operation and records arrivals with their arguments', async () => {
      const { inventory, orders: ordersBackend, reviews } = backends;
      for (const backend of [inventory, ordersBackend, reviews]) backend.stats.reset();
      const before = now();
      await getJson(`${inventory.url}/products/p1`);
      await getJson(`${inventory.url}/products/p999`);
      await getJson(`${inventory.url}/products/batch?ids=p1,p2`);
      await unaryCall(orders.GetOrder.bind(orders), { id: '1' });
      await postJson(`${reviews.url}/graphql`, { query: '{ a: reviewsByProduct(productId: "p1") { id } b: reviewsByProducts(productIds: ["p2"]) { id } }' });
      const after = now();

      expect(inventory.stats.calls).toBe(3);
      expect(inventory.stats.byOperation).toEqual({ product: 2, productsByIds: 1 });
      expect(inventory.stats.arrivals.map((arrival) => [arrival.operation, arrival.args])).toEqual([
        ['product', { id: 'p1' }],
        ['product', { id: 'p999' }],
        ['productsByIds', { ids: ['p1', 'p2'] }],
      ]);
      for (const arrival of inventory.stats.arrivals) {
        expect(arrival.at).toBeGreaterThanOrEqual(before);
        expect(arrival.at).toBeLessThanOrEqual(after);
      }
      expect(ordersBackend.stats.byOperation).toEqual({ GetOrder: 1 });
      expect(reviews.stats.byOperation).toEqual({ reviewsByProduct: 1, reviewsByProducts: 1 });
    });

    it('serves the stats over HTTP without counting that, and resets them', async () => {
      const { inventory } = backends;
      inventory.stats.reset();
      await getJson(`${inventory.url}/products/p3`);
      const served = await getJson(`${inventory.url}/__stats`);
      expect(served.status).toBe(200);
      expect(served.body).toMatchObject({ calls: 1, byOperation: { product: 1 }, arrivals: [{ operation: 'product', args: { id: 'p3' } }] });

      const reset = await fetch(`${inventory.url}/__stats/reset`, { method: 'POST' });
      expect(reset.status).toBe(204);
      expect(inventory.stats.calls).toBe(0);
      expect((await getJson(`${inventory.url}/__stats`)).body).toEqual({ calls: 0, byOperation: {}, arrivals: [] });
    });
  });

  describe('lifecycle', () => {
    it('delays every answer by latencyMs', async () => {
      await using slowInventory = await startInventory({ latencyMs: 50 });
      await using slowOrders = await startOrders({ latencyMs: 50 });
      const client = await createOrdersClient(slowOrders.url);
      try {
        let started = performance.now();
        expect((await getJson(`${slowInventory.url}/products/p1`)).status).toBe(200);
        expect(performance.now() - started).toBeGreaterThanOrEqual(50);

        started = performance.now();
        await unaryCall(client.GetOrder.bind(client), { id: '1' });
        expect(performance.now() - started).toBeGreaterThanOrEqual(50);
      } finally {
        client.close();
      }
    });

    it('rejects a negative latency at start', () => {
      expect(() => resolveLatencyMs(-1)).toThrow(RangeError);
    });

    it('closes idle keep-alive connections and can be closed twice', async () => {
      // Idle connections would stay open far past the test's timeout: close() can only finish by cutting them.
      const inventory = await startInventory({ keepAliveTimeoutMs: 10 * 60_000 });
      const agent = new http.Agent({ keepAlive: true });
      const socket = await new Promise<import('node:net').Socket>((resolve, reject) => {
        const request = http.get(`${inventory.url}/products/p1`, { agent }, (response) => {
          response.resume();
          response.once('end', () => resolve(request.socket!));
        });
        request.once('error', reject);
      });
      const socketClosed = once(socket, 'close');
      await inventory.close();
      await inventory.close();
      await socketClosed;
      agent.destroy();
    });
  });
});
