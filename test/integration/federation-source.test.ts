import { join } from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { createProducts, createReviews, productRatingOf } from '../../src/demo/data.js';
import { DEMO_SCHEMA_FILES, startInventory, startReviews, type DemoBackend } from '../../src/demo/index.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { startGraphqlRemote, type GraphqlRemote } from '../helpers/graphql-remote.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A real Apollo Federation 2 subgraph (built with @apollo/subgraph, served by graphql-yoga) for shipping data. */
const SUBGRAPH_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
  type Product @key(fields: "id") {
    id: String!
    "Shipping weight in kilograms."
    weightKg: Float!
    warehouse: Warehouse!
  }
  type Warehouse { code: String! }
  type Query { heaviest(limit: Int!): [Product!]! }
`;

function startShippingSubgraph(): Promise<GraphqlRemote & { representations: number[] }> {
  const weightOf = (id: string) => Number(id.slice(1)) / 10;
  const representations: number[] = [];
  const schema = buildSubgraphSchema({
    typeDefs: parse(SUBGRAPH_SDL),
    resolvers: {
      Query: { heaviest: (_: unknown, { limit }: { limit: number }) => ['p100', 'p99', 'p98'].slice(0, limit).map((id) => ({ id, weightKg: weightOf(id) })) },
      Product: {
        __resolveReference: (reference: { id: string }) => ({ id: reference.id, weightKg: weightOf(reference.id) }),
        warehouse: (product: { id: string }) => ({ code: Number(product.id.slice(1)) % 2 === 0 ? 'NORTH' : 'SOUTH' }),
      },
    } as never,
  });
  return startGraphqlRemote({ schema }).then((remote) => {
    const original = remote.reset;
    return Object.assign(remote, {
      representations,
      reset() {
        original();
        representations.length = 0;
      },
    });
  });
}

describe('an Apollo Federation subgraph as a source, joined with a REST source', () => {
  let shipping: Awaited<ReturnType<typeof startShippingSubgraph>>;
  let inventory: DemoBackend;
  let reviews: DemoBackend;
  let gateway: Gateway;
  const dir = tempDir();
  const products = createProducts();
  beforeAll(async () => {
    [shipping, inventory, reviews] = await Promise.all([startShippingSubgraph(), startInventory(), startReviews()]);
    const links = dir.write(
      'links.graphql',
      'extend type Product @merge(source: "inventory", key: "id", field: "productsByIds") @merge(source: "reviews", key: "id", field: "productRatings")\n',
    );
    gateway = await createGateway(
      validateConfig(
        {
          cache: { ttl: 0, staleIfError: 0 },
          links,
          sources: [
            { name: 'inventory', kind: 'openapi', spec: DEMO_SCHEMA_FILES.inventory, endpoints: [inventory.url] },
            // No schema file: the SDL is read from the subgraph's own `_service { sdl }`.
            { name: 'shipping', kind: 'graphql', federation: true, endpoints: [shipping.url], maxBatchSize: 8 },
            { name: 'reviews', kind: 'graphql', schema: DEMO_SCHEMA_FILES.reviews, endpoints: [`${reviews.url}/graphql`] },
          ],
        },
        join(dir.path, 'interchange.yaml'),
      ),
    );
  });
  afterAll(async () => {
    await gateway?.[Symbol.asyncDispose]();
    await Promise.all([shipping?.close(), inventory?.close(), reviews?.close()]);
    dir[Symbol.dispose]();
  });
  beforeEach(() => {
    shipping.reset();
    inventory.stats.reset();
    reviews.stats.reset();
  });

  async function query(text: string) {
    const response = await gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) });
    return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  }

  it('hides Federation\'s own fields from the gateway schema', async () => {
    const body = await query('{ __schema { queryType { fields { name } } } }');
    const names = ((body.data!['__schema'] as { queryType: { fields: { name: string }[] } }).queryType.fields).map((f) => f.name);
    expect(names).toContain('heaviest');
    expect(names).not.toContain('_entities');
    expect(names).not.toContain('_service');
  });

  it('joins 20 REST products with the subgraph\'s fields by @key through _entities, in batches of maxBatchSize', async () => {
    const body = await query('{ products(limit: 20) { id name weightKg warehouse { code } } }');
    expect(body.errors).toBeUndefined();
    const list = body.data!['products'] as { id: string; name: string; weightKg: number; warehouse: { code: string } }[];
    expect(list).toHaveLength(20);
    for (const product of list) {
      const n = Number(product.id.slice(1));
      expect(product).toEqual({ id: product.id, name: products.get(product.id)!.name, weightKg: n / 10, warehouse: { code: n % 2 === 0 ? 'NORTH' : 'SOUTH' } });
    }
    expect(inventory.stats.byOperation).toEqual({ products: 1 });
    expect(shipping.count('Query._entities')).toBe(3);
    const sent = shipping.arrivals.filter((a) => a.field === 'Query._entities').map((a) => (a.args['representations'] as { __typename: string; id: string }[]));
    expect(sent.map((batch) => batch.length)).toEqual([8, 8, 4]);
    expect(sent.flat()).toEqual(list.map((p) => ({ __typename: 'Product', id: p.id })));
  });

  it('completes the subgraph\'s products with the REST source\'s fields the other way round, batched', async () => {
    const body = await query('{ heaviest(limit: 3) { id weightKg name stock } }');
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ heaviest: ['p100', 'p99', 'p98'].map((id) => ({ id, weightKg: Number(id.slice(1)) / 10, name: products.get(id)!.name, stock: products.get(id)!.stock })) });
    expect(inventory.stats.byOperation).toEqual({ productsByIds: 1 });
    expect(shipping.count('Query._entities')).toBe(0);
  });

  it('completes REST products from two other sources at once, one batched call to each', async () => {
    const body = await query('{ products(limit: 5) { id name reviewCount weightKg } }');
    expect(body.errors).toBeUndefined();
    const ratings = createReviews();
    expect(body.data).toEqual({
      products: ['p1', 'p2', 'p3', 'p4', 'p5'].map((id) => ({ id, name: products.get(id)!.name, reviewCount: productRatingOf(id, ratings.get(id) ?? []).reviewCount, weightKg: Number(id.slice(1)) / 10 })),
    });
    expect(inventory.stats.byOperation).toEqual({ products: 1 });
    expect(reviews.stats.byOperation).toEqual({ productRatings: 1 });
    expect(shipping.count('Query._entities')).toBe(1);
  });
});
