import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_QUERY, SEED_RESULT, startDemoGateway, type DemoGateway } from '../helpers/demo-gateway.js';

describe('the seed query over the demo backends', () => {
  let demo: DemoGateway;
  beforeAll(async () => {
    demo = await startDemoGateway();
  });
  afterAll(async () => {
    await demo?.[Symbol.asyncDispose]();
  });

  it('returns exact data from the gRPC, and both REST backends in one response', async () => {
    const { status, body } = await demo.query(SEED_QUERY);
    expect(status).toBe(200);
    expect(body).toEqual({ data: SEED_RESULT });
  });

  it('delegates to the remote GraphQL source through a link', async () => {
    const { body } = await demo.query('{ product(id: "p1") { name reviews { rating productId } } }');
    expect(body.errors).toBeUndefined();
    const product = body.data!['product'] as { name: string; reviews: { rating: number; productId: string }[] };
    expect(product.name).toBe('Pallet jack');
    expect(product.reviews.every((r) => r.productId === 'p1' && r.rating >= 1 && r.rating <= 5)).toBe(true);
  });

  it('links out of a remote GraphQL type, fetching the key the link reads even when the query does not select it', async () => {
    const { body } = await demo.query('{ reviewsByProduct(productId: "p2") { rating product { id name } } }');
    expect(body.errors).toBeUndefined();
    const reviews = body.data!['reviewsByProduct'] as { product: { id: string; name: string } }[];
    expect(reviews.length).toBeGreaterThan(0);
    for (const review of reviews) expect(review.product).toEqual({ id: 'p2', name: 'Barcode scanner' });
  });

  it('passes a backend NOT_FOUND through as a field error scoped to the source, with HTTP 200', async () => {
    const { status, body } = await demo.query('{ order(id: "nope") { id } product(id: "p1") { id } }');
    expect(status).toBe(200);
    expect(body.data).toEqual({ order: null, product: { id: 'p1' } });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]).toMatchObject({ path: ['order'], extensions: { code: 'NOT_FOUND', source: 'orders', grpcStatus: 'NOT_FOUND' } });
  });

  it('answers SOURCE_UNAVAILABLE for a down backend with nothing cached, keeping the rest of the data', async () => {
    await demo.backends.logistics.close();
    const { status, body } = await demo.query(SEED_QUERY.replace('"1"', '"2"'));
    expect(status).toBe(200);
    const order = body.data!['order'] as Record<string, unknown>;
    expect(order['id']).toBe('2');
    expect(order['shipment']).toBeNull();
    expect((order['products'] as unknown[]).length).toBeGreaterThan(0);
    expect(body.errors).toEqual([expect.objectContaining({ path: ['order', 'shipment'], extensions: expect.objectContaining({ code: 'SOURCE_UNAVAILABLE', source: 'logistics' }) })]);
  });

  it('keeps the order when the linked inventory is down too: only the linked fields are null', async () => {
    await demo.backends.inventory.close();
    const { status, body } = await demo.query(SEED_QUERY.replace('"1"', '"3"'));
    expect(status).toBe(200);
    expect(body.data).toEqual({ order: expect.objectContaining({ id: '3', customerId: expect.any(String), products: null, shipment: null }) });
    expect(body.errors!.map((e) => [e.path, e.extensions?.['code'], e.extensions?.['source']])).toEqual(
      expect.arrayContaining([
        [['order', 'products'], 'SOURCE_UNAVAILABLE', 'inventory'],
        [['order', 'shipment'], 'SOURCE_UNAVAILABLE', 'logistics'],
      ]),
    );
  });
});
