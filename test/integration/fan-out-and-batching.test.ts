import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { latencyGauge } from '../../src/demo/backend.js';
import type { DemoBackend } from '../../src/demo/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { SEED_QUERY, SEED_RESULT, startDemoGateway, type DemoGateway } from '../helpers/demo-gateway.js';

const DEMO_LINKS = join(import.meta.dirname, '..', '..', 'schemas', 'links.graphql');

/** Backend calls are counted by the demo backends themselves, over their real protocols. */
describe('fan-out, batching and de-duplication', () => {
  let demo: DemoGateway;
  let backends: DemoBackend[];
  beforeAll(async () => {
    // No cache: every call must reach the backends, so the counts show what the gateway sends.
    demo = await startDemoGateway({ edit: (raw) => void (raw['cache'] = { ttl: 0, staleIfError: 0 }) });
    backends = [demo.backends.inventory, demo.backends.logistics, demo.backends.orders, demo.backends.reviews];
  });
  afterAll(async () => {
    await demo?.[Symbol.asyncDispose]();
  });
  beforeEach(() => {
    for (const backend of backends) backend.stats.reset();
  });

  it('makes exactly one call per backend for the seed order query', async () => {
    const { body } = await demo.query(SEED_QUERY);
    expect(body).toEqual({ data: SEED_RESULT });
    expect(demo.backends.orders.stats.byOperation).toEqual({ GetOrder: 1 });
    expect(demo.backends.inventory.stats.byOperation).toEqual({ productsByIds: 1 });
    expect(demo.backends.logistics.stats.byOperation).toEqual({ shipmentsByOrders: 1 });
  });

  it('batches a 150-order list into one inventory call per batch of 100, and one logistics call per batch', async () => {
    const { body } = await demo.query('{ orders(first: 150) { orders { id productIds products { id name } shipment { orderId } } } }');
    expect(body.errors).toBeUndefined();
    const orders = (body.data!['orders'] as { orders: { id: string; productIds: string[]; products: { id: string }[]; shipment: { orderId: string } }[] }).orders;
    expect(orders).toHaveLength(150);
    for (const order of orders) {
      expect(order.products.map((p) => p.id)).toEqual(order.productIds);
      expect(order.shipment.orderId).toBe(order.id);
    }
    expect(demo.backends.orders.stats.byOperation).toEqual({ ListOrders: 1 });
    const distinctProducts = new Set(orders.flatMap((o) => o.productIds)).size;
    expect(demo.backends.inventory.stats.byOperation).toEqual({ productsByIds: Math.ceil(distinctProducts / 100) });
    expect(demo.backends.logistics.stats.byOperation).toEqual({ shipmentsByOrders: 2 });
    const idsSent = demo.backends.inventory.stats.arrivals.map((a) => JSON.stringify(a.args));
    expect(idsSent.every((ids) => ids.length > 0)).toBe(true);
  });

  it('makes one call for duplicate fields and aliases with the same arguments', async () => {
    const { body } = await demo.query('{ a: product(id: "p3") { id } b: product(id: "p3") { name } product(id: "p3") { sku } }');
    expect(body.errors).toBeUndefined();
    expect(demo.backends.inventory.stats.byOperation).toEqual({ product: 1 });
  });

});

describe('parallelism, proven by counting calls in flight at backends that each take 100 ms', () => {
  let demo: DemoGateway;
  beforeAll(async () => {
    demo = await startDemoGateway({ latencyMs: 100, edit: (raw) => void (raw['cache'] = { ttl: 0, staleIfError: 0 }) });
  });
  afterAll(async () => {
    await demo?.[Symbol.asyncDispose]();
  });
  beforeEach(() => {
    for (const backend of [demo.backends.inventory, demo.backends.logistics, demo.backends.orders]) backend.stats.reset();
  });

  it('starts independent root fields concurrently: the three backend calls are in flight at once', async () => {
    latencyGauge.reset();
    const { body } = await demo.query('{ order(id: "1") { id } product(id: "p1") { id } shipmentByOrder(orderId: "1") { id } }');
    expect(body.errors).toBeUndefined();
    // Calls made one after another would never overlap: at most one would be waiting out its latency.
    expect(latencyGauge.max).toBe(3);
  });

  it('fetches sibling links concurrently once their parent is resolved', async () => {
    latencyGauge.reset();
    await demo.query(SEED_QUERY);
    const order = demo.backends.orders.stats.arrivals[0]!.at;
    const products = demo.backends.inventory.stats.arrivals[0]!.at;
    const shipment = demo.backends.logistics.stats.arrivals[0]!.at;
    // The links wait for their parent (which takes 100 ms to answer)...
    expect(products - order).toBeGreaterThanOrEqual(100);
    expect(shipment - order).toBeGreaterThanOrEqual(100);
    // ...and then overlap each other: the order call alone was never in flight with them.
    expect(latencyGauge.max).toBe(2);
  });

});

describe('a source with maxBatchSize', () => {
  it('gets batches of at most that many keys, one call per batch', async () => {
    await using demo = await startDemoGateway({
      edit(raw) {
        raw['cache'] = { ttl: 0, staleIfError: 0 };
        const sources = raw['sources'] as Record<string, unknown>[];
        sources.find((s) => s['name'] === 'inventory')!['maxBatchSize'] = 7;
      },
    });
    const { body } = await demo.query('{ orders(first: 50) { orders { productIds products { id } } } }');
    expect(body.errors).toBeUndefined();
    const orders = (body.data!['orders'] as { orders: { productIds: string[]; products: { id: string }[] }[] }).orders;
    for (const order of orders) expect(order.products.map((p) => p.id)).toEqual(order.productIds);
    const distinct = new Set(orders.flatMap((o) => o.productIds)).size;
    const batches = demo.backends.inventory.stats.arrivals.map((a) => JSON.stringify(a.args));
    expect(batches).toHaveLength(Math.ceil(distinct / 7));
    for (const arrival of demo.backends.inventory.stats.arrivals) expect(JSON.stringify(arrival.args).split(',').length).toBeLessThanOrEqual(7);
  });
});

describe('an unbatched link over many parents', () => {
  it('keeps at most maxConcurrency calls of one request in flight to the target', async () => {
    using dir = tempDir();
    // shipmentByOrder takes one order id: no batch operation, one call per parent.
    const links = `extend type Order { delivery: Shipment @delegate(source: "logistics", field: "shipmentByOrder", args: { orderId: "$parent.id" }) }\n`;
    const file = dir.write('links.graphql', `${readFileSync(DEMO_LINKS, 'utf8')}\n${links}`);
    await using demo = await startDemoGateway({
      latencyMs: 60,
      edit(raw) {
        raw['links'] = file;
        raw['cache'] = { ttl: 0, staleIfError: 0 };
        (raw['sources'] as Record<string, unknown>[]).find((s) => s['name'] === 'logistics')!['maxConcurrency'] = 3;
      },
    });
    const { body } = await demo.query('{ orders(first: 12) { orders { id delivery { orderId } } } }');
    expect(body.errors).toBeUndefined();
    const orders = (body.data!['orders'] as { orders: { id: string; delivery: { orderId: string } }[] }).orders;
    for (const order of orders) expect(order.delivery.orderId).toBe(order.id);
    const arrivals = demo.backends.logistics.stats.arrivals.filter((a) => a.operation === 'shipmentByOrder').map((a) => a.at).sort((a, b) => a - b);
    expect(arrivals).toHaveLength(12);
    // Each call takes 60 ms: the 4th can start only when one of the first three has finished.
    for (let i = 3; i < arrivals.length; i++) expect(arrivals[i]! - arrivals[i - 3]!).toBeGreaterThanOrEqual(55);
  });
});

describe('a batched link whose backend omits some keys', () => {
  it('answers null with LINK_KEY_MISSING in that item\'s own place and never shifts the list', async () => {
    using dir = tempDir();
    const links = readFileSync(DEMO_LINKS, 'utf8');
    // customerId is no product id: the inventory answers without those items.
    const file = dir.write('links.graphql', `${links}\nextend type Order { customerAsProduct: Product @delegate(source: "inventory", field: "productsByIds", args: { ids: "$parent.customerId" }, key: "id") }\n`);
    await using demo = await startDemoGateway({ edit: (raw) => void (raw['links'] = file) });
    const { body } = await demo.query('{ orders(first: 3) { orders { id customerAsProduct { id } products { id } } } }');
    const orders = (body.data!['orders'] as { orders: { customerAsProduct: unknown; products: unknown[] }[] }).orders;
    expect(orders.map((o) => o.customerAsProduct)).toEqual([null, null, null]);
    expect(orders.every((o) => o.products.length > 0)).toBe(true);
    expect(body.errors!.map((e) => [e.path, e.extensions?.['code'], e.extensions?.['source']])).toEqual([0, 1, 2].map((i) => [['orders', 'orders', i, 'customerAsProduct'], 'LINK_KEY_MISSING', 'inventory']));
  });
});
