import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { createOrders, createReviews } from '../../src/demo/data.js';
import { DEMO_SCHEMA_FILES, startInventory } from '../../src/demo/index.js';
import { createGateway } from '../../src/server/create-gateway.js';
import { startDemoGateway, type DemoGateway } from '../helpers/demo-gateway.js';
import { startGraphqlRemote } from '../helpers/graphql-remote.js';
import { tempDir } from '../helpers/temp-dir.js';

const DEMO_LINKS = readFileSync(join(import.meta.dirname, '..', '..', 'schemas', 'links.graphql'), 'utf8');

/**
 * Batched links to a remote GraphQL source, counted at the demo's reviews service (graphql-yoga on node:http),
 * which records every root field it resolves.
 */
describe('batched links to a remote GraphQL source', () => {
  const dir = tempDir();
  // Order ids are no product ids: 150 orders are 150 distinct keys, most of them without reviews.
  const links = dir.write(
    'links.graphql',
    `${DEMO_LINKS}
extend type Order {
  reviewsByOrderId: [Review!] @delegate(source: "reviews", field: "reviewsByProducts", args: { productIds: "$parent.id" }, key: "productId")
  firstReviewPerProduct: [Review] @delegate(source: "reviews", field: "reviewsByProducts", args: { productIds: "$parent.productIds" }, key: "productId")
}
`,
  );
  let demo: DemoGateway;
  beforeAll(async () => {
    demo = await startDemoGateway({
      edit(raw) {
        raw['links'] = links;
        raw['cache'] = { ttl: 0, staleIfError: 0 };
        (raw['sources'] as Record<string, unknown>[]).find((s) => s['name'] === 'reviews')!['maxBatchSize'] = 100;
      },
    });
  });
  afterAll(async () => {
    await demo?.[Symbol.asyncDispose]();
    dir[Symbol.dispose]();
  });
  beforeEach(() => demo.backends.reviews.stats.reset());

  it('makes one reviewsByProducts call for 20 products and groups the reviews by product', async () => {
    const { body } = await demo.query('{ products(limit: 20) { id reviews { id productId rating } } }');
    expect(body.errors).toBeUndefined();
    expect(demo.backends.reviews.stats.byOperation).toEqual({ reviewsByProducts: 1 });
    const products = body.data!['products'] as { id: string; reviews: { id: string; productId: string }[] }[];
    const expected = createReviews();
    expect(products).toHaveLength(20);
    for (const product of products) expect(product.reviews.map((r) => r.id)).toEqual((expected.get(product.id) ?? []).map((r) => r.id));
    expect(demo.backends.reviews.stats.arrivals[0]!.args).toEqual({ productIds: products.map((p) => p.id) });
  });

  it('sends 150 keys as two calls with maxBatchSize 100', async () => {
    const { body } = await demo.query('{ orders(first: 150) { orders { id reviewsByOrderId { id } } } }');
    expect(body.errors).toBeUndefined();
    const orders = (body.data!['orders'] as { orders: { reviewsByOrderId: unknown[] }[] }).orders;
    expect(orders).toHaveLength(150);
    for (const order of orders) expect(order.reviewsByOrderId).toEqual([]);
    expect(demo.backends.reviews.stats.byOperation).toEqual({ reviewsByProducts: 2 });
    expect(demo.backends.reviews.stats.arrivals.map((a) => (a.args as { productIds: string[] }).productIds.length)).toEqual([100, 50]);
  });

  it('answers a key the remote returned no item for with null and LINK_KEY_MISSING in its own place', async () => {
    const { body } = await demo.query('{ orders(first: 8) { orders { productIds firstReviewPerProduct { productId } } } }');
    expect(demo.backends.reviews.stats.byOperation).toEqual({ reviewsByProducts: 1 });
    const orders = (body.data!['orders'] as { orders: { productIds: string[]; firstReviewPerProduct: ({ productId: string } | null)[] }[] }).orders;
    const reviews = createReviews();
    const expectedErrors: unknown[] = [];
    orders.forEach((order, i) => {
      expect(order.productIds).toEqual(createOrders().get(String(i + 1))!.productIds);
      order.productIds.forEach((productId, j) => {
        const has = (reviews.get(productId) ?? []).length > 0;
        expect(order.firstReviewPerProduct[j]).toEqual(has ? { productId } : null);
        if (!has) expectedErrors.push([['orders', 'orders', i, 'firstReviewPerProduct', j], 'LINK_KEY_MISSING', 'reviews']);
      });
    });
    expect(expectedErrors.length).toBeGreaterThan(0);
    expect(body.errors!.map((e) => [e.path, e.extensions?.['code'], e.extensions?.['source']])).toEqual(expectedErrors);
  });
});

describe('a batched link to a remote field returning a list of lists', () => {
  it('matches the lists by position, one call for the level, a null list as LINK_KEY_MISSING in its place', async () => {
    const dir = tempDir();
    const remote = await startGraphqlRemote({
      typeDefs: 'type Query { tagsByProducts(ids: [String!]!): [[Tag!]]! }  type Tag { label: String! }',
      resolvers: { Query: { tagsByProducts: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => (id === 'p2' ? null : [{ label: `${id}-a` }, { label: `${id}-b` }])) } },
    });
    const inventory = await startInventory();
    try {
      const links = dir.write('links.graphql', 'extend type Product { tags: [Tag!] @delegate(source: "tags", field: "tagsByProducts", args: { ids: "$parent.id" }, key: "label") }\n');
      await using gateway = await createGateway(
        validateConfig(
          {
            links,
            sources: [
              { name: 'inventory', kind: 'openapi', spec: DEMO_SCHEMA_FILES.inventory, endpoints: [inventory.url] },
              { name: 'tags', kind: 'graphql', endpoints: [remote.url] },
            ],
          },
          join(dir.path, 'interchange.yaml'),
        ),
      );
      const response = await gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ products(limit: 3) { id tags { label } } }' }) });
      const body = (await response.json()) as { data: { products: { id: string; tags: { label: string }[] | null }[] }; errors?: { path: unknown[]; extensions: Record<string, unknown> }[] };
      expect(body.data.products).toEqual([
        { id: 'p1', tags: [{ label: 'p1-a' }, { label: 'p1-b' }] },
        { id: 'p2', tags: null },
        { id: 'p3', tags: [{ label: 'p3-a' }, { label: 'p3-b' }] },
      ]);
      expect(body.errors!.map((e) => [e.path, e.extensions['code']])).toEqual([[['products', 1, 'tags'], 'LINK_KEY_MISSING']]);
      expect(remote.count('Query.tagsByProducts')).toBe(1);
    } finally {
      await Promise.all([remote.close(), inventory.close()]);
      dir[Symbol.dispose]();
    }
  });
});
