import { request as httpRequest } from 'node:http';
import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_QUERY, SEED_RESULT, startDemoGateway, type DemoGateway } from '../helpers/demo-gateway.js';

/**
 * Hostile input against a real listening gateway: every request gets a clear 4xx GraphQL error (or a
 * spec-correct 200 with errors), none a 5xx or a hang, and the gateway answers normally afterwards.
 * Abuse detection is off here: this suite is one client probing on purpose (its own tests cover that).
 */
interface Hostile {
  name: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Appended to /graphql (for GET parameters). */
  search?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | FormData;
  /** The status expected; default any 4xx. */
  status?: number;
}

const GQL = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
const CSRF = { 'x-graphql-yoga-csrf': '1', accept: 'application/graphql-response+json' };
const json = (value: unknown) => JSON.stringify(value);
const q = (query: string, extra: Record<string, unknown> = {}) => json({ query, ...extra });
const nest = (depth: number, inner: string, field: string) => {
  let out = inner;
  for (let i = 0; i < depth; i++) out = `${field} { ${out} }`;
  return out;
};
const get = (params: Record<string, string>) => `?${new URLSearchParams(params).toString()}`;
const form = (entries: Record<string, string>) => {
  const data = new FormData();
  for (const [k, v] of Object.entries(entries)) data.append(k, v);
  return data;
};

const HOSTILE: Hostile[] = [
  // Malformed JSON.
  ...['{', '{"query":', '[', 'nul', '{"query": "{ __typename }",}', '"just a string"', '42', 'null', '{"query": "{ __typename }"} trailing'].map((body) => ({ name: `malformed JSON ${body}`, headers: GQL, body })),
  // Not valid UTF-8.
  ...[[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80]].map((bytes) => ({ name: `invalid UTF-8 ${bytes.join(',')}`, headers: GQL, body: Buffer.concat([Buffer.from('{"query":"{ __typename } # '), Buffer.from(bytes), Buffer.from('"}')]) })),
  // Not a GraphQL request.
  ...[json({}), json({ query: 42 }), json({ query: null }), json([1, 2]), json({ query: '{ __typename }', variables: 'x' }), json({ query: '{ __typename }', variables: [1] }), json({ query: '{ __typename }', extensions: 'x' }), json({ query: '{ __typename }', operationName: {} }), json({ query: '{ __typename }', unexpected: 1 })].map((body) => ({ name: `not a GraphQL request ${body}`, headers: GQL, body })),
  // Wrong content types and CSRF-shaped requests.
  { name: 'text/plain body', headers: { 'content-type': 'text/plain' }, body: q('{ __typename }'), status: 403 },
  { name: 'form POST of a mutation', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=mutation%7BadjustStock(id%3A%22p1%22%2Cinput%3A%7Bdelta%3A1%7D)%7Bid%7D%7D', status: 403 },
  { name: 'multipart POST of a mutation without the CSRF header', body: form({ operations: q('mutation { adjustStock(id: "p1", input: { delta: 1 }) { id } }') }), status: 403 },
  { name: 'GET without the CSRF header', method: 'GET', search: get({ query: '{ __typename }' }), status: 403 },
  { name: 'application/xml body', headers: { 'content-type': 'application/xml', ...CSRF }, body: '<query/>', status: 415 },
  { name: 'no content type', headers: CSRF, body: q('{ __typename }'), status: 415 },
  { name: 'multipart with broken operations', headers: CSRF, body: form({ operations: '{broken', map: '{}' }), status: 400 },
  { name: 'multipart without operations', headers: CSRF, body: form({ map: '{}' }), status: 400 },
  { name: 'PUT', method: 'PUT', headers: GQL, body: q('{ __typename }') },
  { name: 'DELETE', method: 'DELETE', headers: CSRF },
  // Size.
  { name: '1 MB query', headers: GQL, body: q(`{ __typename } # ${'x'.repeat(1_000_001)}`), status: 413 },
  { name: '900 KB of fields', headers: GQL, body: q(`{ ${'__typename '.repeat(80_000)} }`), status: 400 },
  { name: '100 KB of variables', headers: GQL, body: q('query ($x: String) { __typename }', { variables: { x: 'y'.repeat(100_000) } }), status: 413 },
  // Depth.
  { name: '500-deep selection', headers: GQL, body: q(`{ order(id: "1") { ${nest(500, 'id', 'products { reviews { product')} } }`), status: 400 },
  { name: '500-deep introspection', headers: GQL, body: q(`{ __schema { types { ${nest(500, 'name', 'ofType')} } } }`), status: 400 },
  { name: '500-deep __type', headers: GQL, body: q(`{ __type(name: "Order") { ${nest(500, 'name', 'ofType')} } }`), status: 400 },
  { name: '500-deep fields of introspection', headers: GQL, body: q(`{ __schema { ${nest(250, 'name', 'types { fields { type')} } }`), status: 400 },
  { name: '1000 nested lists in a variable', headers: GQL, body: `{"query":"query ($x: [String]) { __typename }","variables":{"x":${'['.repeat(1000)}${']'.repeat(1000)}}}`, status: 400 },
  // Width.
  { name: '10,000 aliases', headers: GQL, body: q(`{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`), status: 400 },
  { name: '40 aliases of a backend call', headers: GQL, body: q(`{ ${Array.from({ length: 40 }, (_, i) => `a${i}: order(id: "1") { id }`).join(' ')} }`), status: 400 },
  { name: 'a list of 100000', headers: GQL, body: q('{ products(limit: 100000) { id name } }'), status: 400 },
  { name: 'a list of 100000 through a variable', headers: GQL, body: q('query ($n: Int) { products(limit: $n) { id } }', { variables: { n: 100_000 } }), status: 400 },
  // Directive and fragment bombs.
  { name: '1000 directives', headers: GQL, body: q(`{ __typename ${'@include(if: true) '.repeat(1000)} }`), status: 400 },
  { name: '60 directives', headers: GQL, body: q(`{ __typename ${'@include(if: true) '.repeat(60)} }`), status: 400 },
  { name: 'unknown directive', headers: GQL, body: q('{ __typename @evil }'), status: 400 },
  { name: 'a fragment spreading itself', headers: GQL, body: q('query { ...A } fragment A on Query { ...A }'), status: 400 },
  { name: 'two fragments spreading each other', headers: GQL, body: q('query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }'), status: 400 },
  {
    name: 'a fragment explosion (each level spreads the next twice)',
    headers: GQL,
    body: q(`{ ...F0 } ${Array.from({ length: 30 }, (_, i) => `fragment F${i} on Query { a${i}: order(id: "1") { id } ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F30 on Query { __typename }`),
    status: 400,
  },
  { name: 'an unused fragment', headers: GQL, body: q('{ __typename } fragment U on Query { __typename }'), status: 400 },
  { name: 'a fragment on an unknown type', headers: GQL, body: q('{ ...F } fragment F on Nope { id }'), status: 400 },
  // Batches.
  { name: 'a 1,000-operation batch', headers: GQL, body: json(Array.from({ length: 1000 }, () => ({ query: '{ __typename }' }))), status: 400 },
  { name: 'an empty batch', headers: GQL, body: '[]', status: 400 },
  // GET.
  { name: 'mutation over GET', method: 'GET', headers: CSRF, search: get({ query: 'mutation { adjustStock(id: "p1", input: { delta: 1 }) { id } }' }), status: 405 },
  { name: 'GET with variables that are not JSON', method: 'GET', headers: CSRF, search: get({ query: '{ __typename }', variables: '{bad' }), status: 400 },
  { name: 'GET with extensions that are not JSON', method: 'GET', headers: CSRF, search: get({ query: '{ __typename }', extensions: '[[' }), status: 400 },
  { name: 'GET with variables that are an array', method: 'GET', headers: CSRF, search: get({ query: '{ __typename }', variables: '[1]' }), status: 400 },
  { name: 'GET without a query', method: 'GET', headers: CSRF, search: get({ variables: '{}' }), status: 400 },
  { name: 'GET with a syntax error', method: 'GET', headers: CSRF, search: get({ query: '{ order(' }), status: 400 },
  // Badly typed variables and arguments.
  { name: 'a number for ID!', headers: GQL, body: q('query ($id: ID!) { order(id: $id) { id } }', { variables: { id: { nested: true } } }), status: 400 },
  { name: 'a missing non-null variable', headers: GQL, body: q('query ($id: ID!) { order(id: $id) { id } }'), status: 400 },
  { name: 'a string for Int', headers: GQL, body: q('query ($n: Int) { products(limit: $n) { id } }', { variables: { n: 'ten' } }), status: 400 },
  { name: 'a float too big for Int', headers: GQL, body: q('query ($n: Int) { products(limit: $n) { id } }', { variables: { n: 1e300 } }), status: 400 },
  { name: 'an undeclared variable', headers: GQL, body: q('{ order(id: $id) { id } }'), status: 400 },
  { name: 'a wrong argument type', headers: GQL, body: q('{ products(limit: "ten") { id } }'), status: 400 },
  { name: 'an unknown argument', headers: GQL, body: q('{ order(id: "1", evil: 1) { id } }'), status: 400 },
  { name: 'a missing required argument', headers: GQL, body: q('{ product { id } }'), status: 400 },
  { name: 'an unknown field', headers: GQL, body: q('{ nope }'), status: 400 },
  { name: 'a subselection on a scalar', headers: GQL, body: q('{ __typename { x } }'), status: 400 },
  { name: 'several operations without operationName', headers: GQL, body: q('query A { __typename } query B { __typename }'), status: 400 },
  { name: 'an operationName that does not exist', headers: GQL, body: q('query A { __typename }', { operationName: 'B' }), status: 400 },
  { name: 'an unknown persisted query hash (APQ off)', headers: GQL, body: json({ extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } } }), status: 400 },
  // Null bytes and odd characters.
  { name: 'a null byte in the query', headers: GQL, body: q('{ __typename\u0000 }'), status: 400 },
  // Inside a string a NUL is data: the backend says there is no such order (200 with the coded error).
  { name: 'a null byte in a string argument', headers: GQL, body: q('{ order(id: "1\u0000") { id } }'), status: 200 },
  { name: 'a lone surrogate', headers: GQL, body: '{"query":"{ __typename } # \\ud800"}' },
  { name: 'a null byte in a header', headers: { ...GQL, 'x-evil': 'a%00b' }, body: q('{ nope }'), status: 400 },
  // Auth-shaped garbage is not a token error while auth is off: it is just a header.
  { name: 'a garbage Authorization header and an invalid query', headers: { ...GQL, authorization: 'Bearer ' + 'x'.repeat(4000) }, body: q('{ nope }'), status: 400 },
  { name: 'a bad Content-Length', headers: { ...GQL, 'x-content-length-test': '1' }, body: q('{ nope }'), status: 400 },
  { name: 'a subscription over a plain JSON POST', headers: GQL, body: q('subscription { watchOrderStatus(id: "1") { status } }'), status: 406 },
];

describe('hostile input against a listening gateway', () => {
  let demo: DemoGateway;
  beforeAll(async () => {
    demo = await startDemoGateway({ edit: (raw) => void (raw['abuse'] = { enabled: false }) });
  });
  afterAll(async () => demo?.[Symbol.asyncDispose]());

  it('has at least 60 hostile requests', () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(60);
  });

  it.each(HOSTILE.map((h) => [h.name, h] as const))('%s: a clear 4xx, never a 5xx or a hang', async (_name, hostile) => {
    const response = await fetch(`${demo.server.url}${hostile.search ?? ''}`, {
      method: hostile.method ?? 'POST',
      ...(hostile.headers ? { headers: hostile.headers } : {}),
      ...(hostile.body !== undefined ? { body: hostile.body as BodyInit } : {}),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    expect(response.status, text.slice(0, 300)).toBeLessThan(500);
    if (hostile.status !== undefined) expect(response.status, text.slice(0, 300)).toBe(hostile.status);
    else expect(response.status === 200 || (response.status >= 400 && response.status < 500), text.slice(0, 300)).toBe(true);
    const body = JSON.parse(text) as { errors?: { message: string }[]; data?: unknown };
    expect(body.errors?.length, text.slice(0, 300)).toBeGreaterThan(0);
    for (const error of body.errors!) expect(error.message).toMatch(/\S/);
  });

  it.each([
    ['huge headers', { 'x-huge': 'h'.repeat(100_000) }, ''],
    ['a 100 KB query string', {}, get({ query: `{ __typename } # ${'x'.repeat(100_000)}` })],
  ])('answers %s with 431 from the HTTP server, not a crash', async (_name, headers, search) => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${demo.server.url}${search}`, { method: 'POST', headers: { ...GQL, ...headers } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end(q('{ __typename }'));
    });
    expect(status).toBe(431);
  });

  it('passes the graphql-http server audits (GraphQL over HTTP conformance)', async () => {
    // A non-browser client sends the CSRF header with every request (GET would be refused without it).
    const fetchFn = (input: RequestInfo | URL, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set('x-graphql-yoga-csrf', '1');
      return fetch(input, { ...init, headers });
    };
    const results = await auditServer({ url: demo.server.url, fetchFn });
    expect(results.length).toBeGreaterThan(50);
    expect(results.filter((r) => r.status !== 'ok').map((r) => `${r.status}: ${r.name}: ${'reason' in r ? r.reason : ''}`)).toEqual([]);
  });

  it('answers normally afterwards', async () => {
    expect((await demo.query(SEED_QUERY)).body).toEqual({ data: SEED_RESULT });
  });
});
