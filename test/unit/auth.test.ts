import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInMemoryDemo, demoConfig, rawSource, type InMemoryDemo } from '../helpers/in-memory-demo.js';
import { hs256Auth, makeRsaKey, makeToken } from '../helpers/tokens.js';

/**
 * Authentication and authorization through gateway.fetch(): orders is public, logistics needs any valid token,
 * inventory the scope inventory:read, and its adjustStock mutation the claim role: admin.
 */
function protect(raw: Record<string, unknown>) {
  raw['auth'] = hs256Auth();
  rawSource(raw, 'logistics')['auth'] = 'authenticated';
  Object.assign(rawSource(raw, 'inventory'), { auth: { scopes: ['inventory:read'] }, operations: { adjustStock: { auth: { claims: { role: 'admin' } } } } });
}

describe('authentication and authorization', () => {
  let demo: InMemoryDemo;
  beforeAll(async () => {
    demo = await createInMemoryDemo({ edit: protect });
  });
  afterAll(async () => demo?.[Symbol.asyncDispose]());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const ORDER = '{ order(id: "1") { id } }';
  const ORDER_WITH_LINKS = '{ order(id: "1") { id products { id } shipment { status } } }';

  it('lets anyone run what reaches only public sources', async () => {
    const { status, body } = await demo.query(ORDER);
    expect(status).toBe(200);
    expect(body).toEqual({ data: { order: { id: '1' } } });
  });

  it('answers 401 with a Bearer challenge when a selected field (here through a link) needs a token and none is given', async () => {
    const calls = demo.backends.calls.length;
    const { status, headers, body } = await demo.query(ORDER_WITH_LINKS);
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toBe('Bearer realm="interchange"');
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED', reason: 'token_required' } })]);
    expect(body.data).toBeUndefined();
    expect(demo.backends.calls.length).toBe(calls); // refused before anything ran
  });

  it.each([
    ['expired', { expiresIn: -120 }],
    ['not_yet_valid', { notBefore: 120 }],
    ['wrong_issuer', { issuer: 'https://other-idp.test' }],
    ['wrong_audience', { audience: 'someone-else' }],
    ['bad_signature', { secret: 'another-secret-that-is-long-enough-to-sign' }],
    ['algorithm_not_allowed', { alg: 'HS512', secret: 'a-test-secret-of-at-least-32-characters!' }],
  ] as const)('refuses a token that is %s with 401, invalid_token and the reason, even for a public query', async (reason, options) => {
    const { status, headers, body } = await demo.query(ORDER, { headers: bearer(await makeToken({ sub: 'u1' }, options)) });
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toMatch(/^Bearer realm="interchange", error="invalid_token", error_description="[^"]+"$/);
    expect(body.errors![0]!.extensions).toEqual({ code: 'UNAUTHENTICATED', reason });
  });

  it('refuses a token signed with an asymmetric key when only HS256 is allowed, and garbage', async () => {
    const { privateKey } = await makeRsaKey('k1');
    const rsa = await demo.query(ORDER, { headers: bearer(await makeToken({ sub: 'u1' }, { alg: 'RS256', key: privateKey })) });
    expect(rsa.status).toBe(401);
    expect(rsa.body.errors![0]!.extensions!['reason']).toBe('algorithm_not_allowed');
    expect((await demo.query(ORDER, { headers: bearer('not.a.jwt') })).body.errors![0]!.extensions!['reason']).toBe('malformed');
    const basic = await demo.query(ORDER, { headers: { authorization: 'Basic dTpw' } });
    expect(basic.status).toBe(401);
    expect(basic.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);
  });

  it('nulls only the field whose source needs a scope the token lacks (FORBIDDEN, HTTP 200), and serves the rest', async () => {
    const { status, body } = await demo.query(ORDER_WITH_LINKS, { headers: bearer(await makeToken({ sub: 'u1', scope: 'orders:read' })) });
    expect(status).toBe(200);
    expect(body.data).toEqual({ order: { id: '1', products: null, shipment: { status: 'IN_TRANSIT' } } });
    expect(body.errors).toEqual([
      expect.objectContaining({ path: ['order', 'products'], extensions: { code: 'FORBIDDEN', source: 'inventory', reason: 'the token lacks the scope inventory:read' } }),
    ]);
  });

  it('serves everything to a token with the scope', async () => {
    const { status, body } = await demo.query(ORDER_WITH_LINKS, { headers: bearer(await makeToken({ sub: 'u1', scope: 'orders:read inventory:read' })) });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ order: { id: '1', products: [{ id: 'p1' }, { id: 'p2' }], shipment: { status: 'IN_TRANSIT' } } });
  });

  it('applies per-operation rules: a mutation needs role admin', async () => {
    const mutation = 'mutation { adjustStock(id: "p1", input: { delta: 1 }) { id } }';
    const user = await demo.query(mutation, { headers: bearer(await makeToken({ sub: 'u1', scope: 'inventory:read', role: 'clerk' })) });
    expect(user.status).toBe(200);
    expect(user.body.errors![0]!.extensions).toEqual({ code: 'FORBIDDEN', source: 'inventory', reason: 'the token\'s "role" claim must be admin' });
    expect(demo.backends.count('inventory.adjustStock')).toBe(0);
    const admin = await demo.query(mutation, { headers: bearer(await makeToken({ sub: 'u2', scope: 'inventory:read', role: ['ops', 'admin'] })) });
    expect(admin.body).toEqual({ data: { adjustStock: { id: 'p1' } } });
  });

  it('with auth.default: authenticated, refuses every request without a token', async () => {
    await using strict = await createInMemoryDemo({ edit: (raw) => void (raw['auth'] = hs256Auth({ default: 'authenticated' })) });
    const { status, body } = await strict.query('{ __typename }');
    expect(status).toBe(401);
    expect(body.errors![0]!.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'token_required' });
    expect((await strict.query('{ __typename }', { headers: bearer(await makeToken({ sub: 'u1' })) })).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('changes the rules live on reload', async () => {
    await using live = await createInMemoryDemo({ edit: protect });
    const token = await makeToken({ sub: 'u1' });
    expect((await live.query('{ product(id: "p1") { id } }', { headers: bearer(token) })).body.errors![0]!.extensions!['code']).toBe('FORBIDDEN');
    await live.gateway.reload(demoConfig((raw) => {
      protect(raw);
      rawSource(raw, 'inventory')['auth'] = 'authenticated';
    }));
    expect((await live.query('{ product(id: "p1") { id } }', { headers: bearer(token) })).body).toEqual({ data: { product: { id: 'p1' } } });
  });

  it('refuses at config load rules that need tokens when no auth.jwt verifies them', () => {
    expect(() => demoConfig((raw) => void (rawSource(raw, 'inventory')['auth'] = 'authenticated'))).toThrow(/sources\[0\]\.auth: needs auth\.jwt/);
    expect(() => demoConfig((raw) => void (raw['auth'] = { jwt: { secret: 'short' } }))).toThrow(/auth\.jwt\.secret: must be at least 32 characters/);
    expect(() => demoConfig((raw) => void (raw['auth'] = { jwt: { secret: 'x'.repeat(32), jwks: './jwks.json' } }))).toThrow(/needs exactly one of secret or jwks/);
    expect(() => demoConfig((raw) => void (raw['auth'] = { jwt: { jwks: 'http://idp.example/jwks.json' } }))).toThrow(/must be an https:\/\/ URL/);
  });
});
