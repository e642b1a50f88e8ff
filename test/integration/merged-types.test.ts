import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/server/create-gateway.js';
import { startGraphqlRemote } from '../helpers/graphql-remote.js';
import { startOpenApiFixture } from '../helpers/openapi-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { createProducts, createReviews, productRatingOf } from '../../src/demo/data.js';
import { SEED_QUERY, SEED_RESULT, startDemoGateway, type DemoGateway } from '../helpers/demo-gateway.js';

/**
 * The demo's Product is merged by id across the inventory (REST) and the reviews service (GraphQL, its own
 * Product type with a rating summary), as links.graphql declares. Calls are counted at the real backends.
 */
describe('a type merged across a REST and a GraphQL source', () => {
  let demo: DemoGateway;
  const products = createProducts();
  const reviews = createReviews();
  const ratingOf = (id: string) => productRatingOf(id, reviews.get(id) ?? []);
  beforeAll(async () => {
    demo = await startDemoGateway({ edit: (raw) => void (raw['cache'] = { ttl: 0, staleIfError: 0 }) });
  });
  afterAll(async () => {
    await demo?.[Symbol.asyncDispose]();
  });
  beforeEach(() => {
    for (const backend of [demo.backends.inventory, demo.backends.reviews, demo.backends.orders, demo.backends.logistics]) backend.stats.reset();
  });

  it('adds the reviews service\'s fields to inventory products with one batched call per level', async () => {
    const { body } = await demo.query('{ products(limit: 20) { id name averageRating reviewCount } }');
    expect(body.errors).toBeUndefined();
    const list = body.data!['products'] as { id: string; name: string; averageRating: number | null; reviewCount: number }[];
    expect(list).toHaveLength(20);
    for (const product of list) {
      const { averageRating, reviewCount } = ratingOf(product.id);
      expect(product).toEqual({ id: product.id, name: products.get(product.id)!.name, averageRating, reviewCount });
    }
    expect(demo.backends.inventory.stats.byOperation).toEqual({ products: 1 });
    expect(demo.backends.reviews.stats.byOperation).toEqual({ productRatings: 1 });
    expect(demo.backends.reviews.stats.arrivals[0]!.args).toEqual({ ids: list.map((p) => p.id) });
  });

  it('adds the inventory\'s fields to the reviews service\'s products the other way round', async () => {
    const { body } = await demo.query('{ productRatings(ids: ["p3", "p1", "p2"]) { id reviewCount name stock } }');
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      productRatings: ['p3', 'p1', 'p2'].map((id) => ({ id, reviewCount: ratingOf(id).reviewCount, name: products.get(id)!.name, stock: products.get(id)!.stock })),
    });
    expect(demo.backends.reviews.stats.byOperation).toEqual({ productRatings: 1 });
    expect(demo.backends.inventory.stats.byOperation).toEqual({ productsByIds: 1 });
  });

  it('merges into products reached through a batched link: one call per source per level', async () => {
    const { body } = await demo.query('{ orders(first: 30) { orders { products { id price averageRating } } } }');
    expect(body.errors).toBeUndefined();
    const orders = (body.data!['orders'] as { orders: { products: { id: string; price: number; averageRating: number | null }[] }[] }).orders;
    for (const product of orders.flatMap((o) => o.products)) expect(product).toEqual({ id: product.id, price: products.get(product.id)!.price, averageRating: ratingOf(product.id).averageRating });
    expect(demo.backends.orders.stats.byOperation).toEqual({ ListOrders: 1 });
    expect(demo.backends.inventory.stats.byOperation).toEqual({ productsByIds: 1 });
    expect(demo.backends.reviews.stats.byOperation).toEqual({ productRatings: 1 });
  });

  it('answers the README\'s query with three backend calls: the products, their ratings, their reviews', async () => {
    const { body } = await demo.query('{ products(limit: 20) { id name averageRating reviews { rating body } } }');
    expect(body.errors).toBeUndefined();
    const list = body.data!['products'] as { id: string; averageRating: number | null; reviews: { rating: number }[] }[];
    expect(list).toHaveLength(20);
    for (const product of list) {
      expect(product.averageRating).toBe(ratingOf(product.id).averageRating);
      expect(product.reviews.map((r) => r.rating)).toEqual((reviews.get(product.id) ?? []).map((r) => r.rating));
    }
    expect(demo.backends.inventory.stats.byOperation).toEqual({ products: 1 });
    expect(demo.backends.reviews.stats.byOperation).toEqual({ productRatings: 1, reviewsByProducts: 1 });
  });

  it('leaves queries that ask only for one source\'s fields alone: the seed query calls no reviews', async () => {
    expect((await demo.query(SEED_QUERY)).body).toEqual({ data: SEED_RESULT });
    expect(demo.backends.reviews.stats.calls).toBe(0);
    expect(demo.backends.inventory.stats.byOperation).toEqual({ productsByIds: 1 });
  });
});

const CATALOGUE_SPEC = `openapi: 3.0.3
info: { title: catalogue, version: "1" }
paths:
  /catalogue:
    get:
      operationId: catalogue
      responses:
        "200":
          description: A page of items.
          content: { application/json: { schema: { $ref: "#/components/schemas/Page" } } }
components:
  schemas:
    Page:
      type: object
      required: [items]
      properties: { items: { type: array, items: { $ref: "#/components/schemas/Item" } } }
    Item:
      type: object
      required: [id, name]
      properties: { id: { type: string }, name: { type: string } }
`;

describe('a merged type nested inside an in-process answer', () => {
  it('is completed from the other source when asked for, with one batched call, and left alone when not', async () => {
    const dir = tempDir();
    const rest = await startOpenApiFixture({
      name: 'catalogue',
      specFile: dir.write('catalogue.yaml', CATALOGUE_SPEC),
      handle: (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [{ id: 'i1', name: 'one' }, { id: 'i2', name: 'two' }] })),
    });
    const remote = await startGraphqlRemote({
      typeDefs: 'type Query { itemsByIds(ids: [String!]!): [Item]! }  type Item { id: String!  stars: Int! }',
      resolvers: { Query: { itemsByIds: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => ({ id, stars: Number(id.slice(1)) })) } },
    });
    try {
      const links = dir.write('links.graphql', 'extend type Item @merge(source: "ratings", key: "id", field: "itemsByIds")\n');
      await using gateway = await createGateway(
        validateConfig(
          {
            links,
            sources: [
              { name: 'catalogue', kind: 'openapi', spec: join(dir.path, 'catalogue.yaml'), endpoints: [rest.endpoint] },
              { name: 'ratings', kind: 'graphql', endpoints: [remote.url] },
            ],
          },
          join(dir.path, 'interchange.yaml'),
        ),
      );
      const query = async (text: string) =>
        (await (await gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) })).json()) as unknown;
      expect(await query('{ catalogue { items { name } } }')).toEqual({ data: { catalogue: { items: [{ name: 'one' }, { name: 'two' }] } } });
      expect(remote.count('Query.itemsByIds')).toBe(0);
      expect(await query('{ catalogue { items { name stars } } }')).toEqual({ data: { catalogue: { items: [{ name: 'one', stars: 1 }, { name: 'two', stars: 2 }] } } });
      expect(remote.count('Query.itemsByIds')).toBe(1);
      expect(remote.arrivals.at(-1)!.args).toEqual({ ids: ['i1', 'i2'] });
    } finally {
      await Promise.all([rest.close(), remote.close()]);
      dir[Symbol.dispose]();
    }
  });
});
