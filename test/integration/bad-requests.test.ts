import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_QUERY, SEED_RESULT, startDemoGateway, type DemoGateway } from '../helpers/demo-gateway.js';

/** Bad input of every kind gets a clear error, and the gateway goes on serving. */
describe('bad requests', () => {
  let demo: DemoGateway;
  beforeAll(async () => {
    demo = await startDemoGateway();
  });
  afterAll(async () => {
    await demo?.[Symbol.asyncDispose]();
  });

  async function send(body: string, headers: Record<string, string> = {}) {
    const response = await fetch(demo.server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: response.status, body: (await response.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] } };
  }

  it('answers malformed JSON with 400 and a message', async () => {
    const { status, body } = await send('{"query": "{ order(id: \\"1\\") { id } }"');
    expect(status).toBe(400);
    expect(body.errors![0]!.message).toMatch(/JSON/i);
  });

  it('answers a body that is not a GraphQL request with 400', async () => {
    expect((await send('[1, 2, 3]')).status).toBe(400);
    expect((await send('{"query": 42}')).status).toBe(400);
  });

  it('answers a syntax error and an unknown field with errors naming them', async () => {
    const syntax = await send(JSON.stringify({ query: '{ order(id: "1" { id } }' }));
    expect(syntax.body.errors![0]!.message).toMatch(/Syntax Error/);
    const unknown = await send(JSON.stringify({ query: '{ order(id: "1") { nope } }' }));
    expect(unknown.body.errors![0]!.message).toContain('Cannot query field "nope" on type "Order"');
  });

  it('refuses a body over 1 MB by its Content-Length, with 413 and BAD_REQUEST', async () => {
    const { status, body } = await send(JSON.stringify({ query: `{ order(id: "1") { id } } # ${'x'.repeat(1_100_000)}` }));
    expect(status).toBe(413);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('refuses a chunked body (no Content-Length) once it passes 1 MB', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(demo.server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', reject);
      req.write('{"query": "{ order(id: \\"1\\") { id } }", "x": "');
      for (let i = 0; i < 12; i++) req.write('y'.repeat(100_000));
      req.end('"}');
    });
    expect(status).toBe(413);
  });

  describe('hostile queries: refused before any backend is called, with QUERY_TOO_COMPLEX (400 for graphql-response+json)', () => {
    const backendCalls = () => demo.backends.orders.stats.calls + demo.backends.inventory.stats.calls + demo.backends.logistics.stats.calls + demo.backends.reviews.stats.calls;

    async function refused(query: string, message: RegExp) {
      const before = backendCalls();
      const { status, body } = await send(JSON.stringify({ query }), { accept: 'application/graphql-response+json' });
      expect(status).toBe(400);
      for (const error of body.errors!) {
        expect(error.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX' });
        expect(error.message).not.toMatch(/Syntax Error/);
      }
      expect(body.errors!.map((e) => e.message)).toContainEqual(expect.stringMatching(message));
      // A legacy application/json client gets the same error with 200, as for any invalid query.
      const legacy = await send(JSON.stringify({ query }), { accept: 'application/json' });
      expect(legacy.status).toBe(200);
      expect(legacy.body.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX' });
      expect(backendCalls()).toBe(before);
    }

    it('too deep', async () => {
      let nested = 'id';
      for (let i = 0; i < 10; i++) nested = `product { reviews { ${nested} } }`;
      await refused(`{ reviewsByProduct(productId: "p1") { ${nested} } }`, /depth/i);
    });

    it('too many aliases', async () => {
      await refused(`{ ${Array.from({ length: 40 }, (_, i) => `a${i}: order(id: "1") { id }`).join(' ')} }`, /alias/i);
    });

    it('too many tokens', async () => {
      await refused(`{ order(id: "1") { ${'id '.repeat(4000)} } }`, /token/i);
    });

    it('too costly', async () => {
      await refused(`{ ${Array.from({ length: 25 }, (_, i) => `a${i}: orders(first: 200) { orders { products { id name sku price stock } } }`).join(' ')} }`, /cost/i);
    });
  });

  it('keeps serving good requests afterwards', async () => {
    expect((await send(JSON.stringify({ query: SEED_QUERY }))).body).toEqual({ data: SEED_RESULT });
  });
});
