import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { printSchema } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { SpecInvalidError } from '../../src/errors.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { startGraphqlRemote, type GraphqlRemote } from '../helpers/graphql-remote.js';
import { closedPort } from '../helpers/openapi-fixture.js';

/**
 * A remote GraphQL source against a real yoga server whose behaviour a test can switch: normal answers, GraphQL
 * errors, HTTP 500, a body that is not JSON, JSON that is not a GraphQL response.
 */
type Mode = 'normal' | 'http-500' | 'not-json' | 'not-graphql';

function startRemote() {
  let mode: Mode = 'normal';
  let calls = 0;
  const yoga = createYoga({
    logging: false,
    graphiql: false,
    schema: createSchema({
      typeDefs: 'type Query { greeting(name: String!): String!  broken: String }',
      resolvers: {
        Query: {
          greeting: (_: unknown, { name }: { name: string }) => `hello ${name}`,
          broken: () => {
            throw new Error('the remote failed on purpose');
          },
        },
      },
    }),
    maskedErrors: false,
  });
  const server: Server = createServer((req, res) => {
    calls++;
    if (mode === 'http-500') return void res.writeHead(500, { 'content-type': 'text/plain' }).end('internal');
    if (mode === 'not-json') return void res.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops</html>');
    if (mode === 'not-graphql') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}');
    return void yoga.requestListener(req, res);
  });
  return new Promise<{ url: string; setMode(m: Mode): void; calls(): number; close(): Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
        setMode: (m) => void (mode = m),
        calls: () => calls,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      }),
    ),
  );
}

const FILE = join(import.meta.dirname, 'inline.yaml');

describe('a remote GraphQL source', () => {
  let remote: Awaited<ReturnType<typeof startRemote>>;
  let gateway: Gateway;
  beforeAll(async () => {
    remote = await startRemote();
    // No schema file: introspected at load time.
    gateway = await createGateway(validateConfig({ cache: { ttl: 60 }, sources: [{ name: 'greeter', kind: 'graphql', endpoints: [remote.url] }] }, FILE));
  });
  afterAll(async () => {
    await gateway?.[Symbol.asyncDispose]();
    await remote?.close();
  });

  async function query(text: string) {
    const response = await gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) });
    return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[] } };
  }

  it('is introspected at load time and delegated to', async () => {
    expect((await query('{ greeting(name: "ada") }')).body).toEqual({ data: { greeting: 'hello ada' } });
  });

  it('passes the remote\'s GraphQL errors through, and does not cache them', async () => {
    const before = remote.calls();
    for (let i = 0; i < 2; i++) {
      const { status, body } = await query('{ broken }');
      expect(status).toBe(200);
      expect(body.data).toEqual({ broken: null });
      expect(body.errors![0]!.message).toContain('the remote failed on purpose');
    }
    expect(remote.calls() - before).toBe(2);
  });

  it.each([
    ['http-500', 'SOURCE_UNAVAILABLE'],
    ['not-json', 'SOURCE_BAD_RESPONSE'],
    ['not-graphql', 'SOURCE_BAD_RESPONSE'],
  ] as const)('answers a remote that sends %s with %s on the field, HTTP 200', async (mode, code) => {
    remote.setMode(mode);
    try {
      const { status, body } = await query(`{ greeting(name: "${mode}") }`);
      expect(status).toBe(200);
      expect(body.data ?? null).toBeNull();
      expect(body.errors![0]!.extensions).toMatchObject({ code, source: 'greeter' });
    } finally {
      remote.setMode('normal');
    }
  });

  it('fails to load with SPEC_INVALID naming the endpoint when introspection is impossible', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}/graphql`;
    const error = await createGateway(validateConfig({ sources: [{ name: 'gone', kind: 'graphql', endpoints: [endpoint] }] }, FILE)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SpecInvalidError);
    expect((error as SpecInvalidError).problems[0]).toMatchObject({ file: endpoint, at: 'introspection' });
  });
});

describe('per-field settings of a remote GraphQL source', () => {
  const typeDefs = `
    type Query { price(sku: ID!): Float!  stock(sku: ID!): Int!  item(sku: ID!): Item  slow: String  hidden: String }
    type Item { sku: ID! }
  `;
  let release: () => void = () => undefined;
  let remote: GraphqlRemote;
  let gateway: Gateway;
  beforeAll(async () => {
    const held = new Promise<void>((resolve) => (release = resolve));
    remote = await startGraphqlRemote({
      typeDefs,
      resolvers: {
        Query: {
          price: () => 9.5,
          stock: () => 3,
          item: (_: unknown, { sku }: { sku: string }) => ({ sku }),
          slow: async () => (await held, 'late'),
          hidden: () => 'secret',
        },
      },
    });
    gateway = await createGateway(
      validateConfig(
        {
          cache: { ttl: 0, staleIfError: 0 },
          sources: [
            {
              name: 'shop',
              kind: 'graphql',
              endpoints: [remote.url],
              rename: { price: 'itemPrice', Item: 'Article' },
              exclude: ['hidden'],
              operations: { itemPrice: { cache: { ttl: 60 } }, slow: { timeoutMs: 50 } },
            },
          ],
        },
        FILE,
      ),
    );
  });
  afterAll(async () => {
    release();
    await gateway?.[Symbol.asyncDispose]();
    await remote?.close();
  });

  async function query(text: string) {
    const response = await gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) });
    return (await response.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[] };
  }

  it('exposes renamed fields and types and leaves excluded ones out', async () => {
    const sdl = printSchema(gateway.current.schema);
    expect(sdl).toContain('itemPrice(sku: ID!): Float!');
    expect(sdl).toContain('item(sku: ID!): Article');
    expect(sdl).not.toMatch(/\bprice\(|\bhidden\b|type Item\b/);
    expect(await query('{ itemPrice(sku: "a") item(sku: "a") { __typename sku } }')).toEqual({ data: { itemPrice: 9.5, item: { __typename: 'Article', sku: 'a' } } });
  });

  it('caches per root field by its operations entry: the cached field is not called again, its sibling is', async () => {
    remote.reset();
    for (let i = 0; i < 2; i++) expect(await query('{ itemPrice(sku: "b") stock(sku: "b") }')).toEqual({ data: { itemPrice: 9.5, stock: 3 } });
    expect(remote.count('Query.price')).toBe(1);
    expect(remote.count('Query.stock')).toBe(2);
    const metrics = await (await gateway.fetch('http://gateway/metrics')).text();
    expect(metrics).toContain('interchange_source_call_duration_seconds_count{source="shop",operation="Query.price",outcome="hit"} 1');
  });

  it('applies the field\'s own timeout', async () => {
    const body = await query('{ slow stock(sku: "c") }');
    expect(body.data).toEqual({ slow: null, stock: 3 });
    expect(body.errors).toEqual([expect.objectContaining({ path: ['slow'], extensions: expect.objectContaining({ code: 'SOURCE_TIMEOUT', source: 'shop', timeoutMs: 50 }) })]);
  });
});
