import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { tempDir } from '../helpers/temp-dir.js';
import { TEST_AUDIENCE, TEST_ISSUER, makeRsaKey, makeToken } from '../helpers/tokens.js';

const SPEC = join(import.meta.dirname, '..', 'fixtures', 'whoami.openapi.yaml');

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/** A JWKS endpoint whose key set the test rotates, counting fetches. */
async function startJwksServer(keys: JWK[]) {
  const state = { keys, fetches: 0 };
  const server = createServer((_req, res) => {
    state.fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  return { state, server, url: `${await listen(server)}/.well-known/jwks.json` };
}

/**
 * A backend that answers with what it received: the user id header made from the token's claim and the
 * forwarded tenant header. Each request is held until a second one arrives (or `release()`), so concurrent
 * requests are really in flight together.
 */
async function startEchoBackend() {
  const received: IncomingHttpHeaders[] = [];
  let waiting: (() => void)[] = [];
  const server = createServer((req, res) => {
    received.push(req.headers);
    const answer = () => res.setHeader('content-type', 'application/json').end(JSON.stringify({ user: `${req.headers['x-user-id'] ?? '-'}|${req.headers['x-tenant-id'] ?? '-'}|${req.headers.authorization ? 'auth' : 'no-auth'}` }));
    if (req.headers['x-hold'] === undefined) return answer();
    waiting.push(answer);
    if (waiting.length === 2) {
      for (const go of waiting) go();
      waiting = [];
    }
  });
  return { received, server, url: await listen(server) };
}

describe('JWT verification against a real JWKS endpoint, and what reaches the backend', () => {
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  let echo: Awaited<ReturnType<typeof startEchoBackend>>;
  let k1: Awaited<ReturnType<typeof makeRsaKey>>;
  let k2: Awaited<ReturnType<typeof makeRsaKey>>;
  const gateways: Gateway[] = [];

  beforeAll(async () => {
    [k1, k2] = await Promise.all([makeRsaKey('k1'), makeRsaKey('k2')]);
    jwks = await startJwksServer([k1.jwk]);
    echo = await startEchoBackend();
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g[Symbol.asyncDispose]()));
    jwks?.server.close();
    echo?.server.close();
  });

  async function gatewayWith(jwt: Record<string, unknown>) {
    const config = validateConfig(
      {
        auth: { jwt: { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, ...jwt } },
        cache: { ttl: 60 },
        sources: [{ name: 'profile', kind: 'openapi', spec: SPEC, endpoints: [echo.url], auth: 'authenticated', forwardHeaders: ['x-tenant-id', 'x-hold'], claimsToHeaders: { sub: 'x-user-id' } }],
      },
      join(import.meta.dirname, 'inline.yaml'),
    );
    const gateway = await createGateway(config);
    gateways.push(gateway);
    return gateway;
  }

  async function me(gateway: Gateway, token: string, headers: Record<string, string> = {}) {
    const response = await gateway.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify({ query: '{ me { user } }' }),
    });
    const body = (await response.json()) as { data?: { me: { user: string } }; errors?: { extensions?: Record<string, unknown> }[] };
    return { status: response.status, user: body.data?.me.user, reason: body.errors?.[0]?.extensions?.['reason'] };
  }

  const rs256 = (sub: string, key: { privateKey: CryptoKey }, kid: string) => makeToken({ sub }, { alg: 'RS256', key: key.privateKey, kid });

  it('verifies RS256 tokens with the fetched key set, and refetches it when a rotated key id appears', async () => {
    jwks.state.keys = [k1.jwk];
    const gateway = await gatewayWith({ jwks: jwks.url, jwksRefetchSeconds: 0.001 });
    const before = jwks.state.fetches;
    expect(await me(gateway, await rs256('alice', k1, 'k1'))).toMatchObject({ status: 200, user: 'alice|-|no-auth' });
    expect(await me(gateway, await rs256('alice', k1, 'k1'))).toMatchObject({ status: 200 });
    expect(jwks.state.fetches - before).toBe(1); // cached
    jwks.state.keys = [k1.jwk, k2.jwk]; // the IdP rotates in k2
    expect(await me(gateway, await rs256('bob', k2, 'k2'))).toMatchObject({ status: 200, user: 'bob|-|no-auth' });
    expect(jwks.state.fetches - before).toBe(2);
  });

  it('rate-limits refetches: an unknown key id within jwksRefetchSeconds is refused without fetching again', async () => {
    jwks.state.keys = [k1.jwk];
    const gateway = await gatewayWith({ jwks: jwks.url, jwksRefetchSeconds: 600 });
    const before = jwks.state.fetches;
    expect((await me(gateway, await rs256('alice', k1, 'k1'))).status).toBe(200);
    jwks.state.keys = [k1.jwk, k2.jwk];
    for (let i = 0; i < 5; i++) expect(await me(gateway, await rs256('mallory', k2, 'k2'))).toMatchObject({ status: 401, reason: 'unknown_key' });
    expect(jwks.state.fetches - before).toBe(1);
  });

  it('reads a JWKS file, and reads it again when a rotated key id appears', async () => {
    using dir = tempDir();
    const file = dir.write('jwks.json', JSON.stringify({ keys: [k1.jwk] }));
    const gateway = await gatewayWith({ jwks: file, jwksRefetchSeconds: 0.001 });
    expect((await me(gateway, await rs256('alice', k1, 'k1'))).status).toBe(200);
    expect(await me(gateway, await rs256('bob', k2, 'k2'))).toMatchObject({ status: 401, reason: 'unknown_key' });
    dir.write('jwks.json', JSON.stringify({ keys: [k1.jwk, k2.jwk] }));
    expect(await me(gateway, await rs256('bob', k2, 'k2'))).toMatchObject({ status: 200, user: 'bob|-|no-auth' });
  });

  it('sends the claim as a header and never the Authorization header it was not told to forward; a client cannot forge the claim header', async () => {
    jwks.state.keys = [k1.jwk];
    const gateway = await gatewayWith({ jwks: jwks.url });
    echo.received.length = 0;
    expect(await me(gateway, await rs256('alice', k1, 'k1'), { 'x-user-id': 'admin', cookie: 'session=1' })).toMatchObject({ status: 200, user: 'alice|-|no-auth' });
    expect(echo.received[0]!['x-user-id']).toBe('alice');
    expect(echo.received[0]!.authorization).toBeUndefined();
    expect(echo.received[0]!.cookie).toBeUndefined();
  });

  it('never lets two callers see each other\'s cached answers: two tokens, and one token with two tenants', async () => {
    jwks.state.keys = [k1.jwk];
    const gateway = await gatewayWith({ jwks: jwks.url });
    const alice = await rs256('alice', k1, 'k1');
    const bob = await rs256('bob', k1, 'k1');
    echo.received.length = 0;
    expect((await me(gateway, alice, { 'x-tenant-id': 'a' })).user).toBe('alice|a|no-auth');
    expect((await me(gateway, bob, { 'x-tenant-id': 'a' })).user).toBe('bob|a|no-auth');
    expect((await me(gateway, alice, { 'x-tenant-id': 'b' })).user).toBe('alice|b|no-auth');
    expect(echo.received).toHaveLength(3);
    // Cached now, each for its own caller: a fresh token of the same user shares alice's entry.
    expect((await me(gateway, await rs256('alice', k1, 'k1'), { 'x-tenant-id': 'a' })).user).toBe('alice|a|no-auth');
    expect((await me(gateway, bob, { 'x-tenant-id': 'a' })).user).toBe('bob|a|no-auth');
    expect(echo.received).toHaveLength(3);
  });

  it('never de-duplicates concurrent identical requests of two callers into one backend call', async () => {
    jwks.state.keys = [k1.jwk];
    const gateway = await gatewayWith({ jwks: jwks.url });
    echo.received.length = 0;
    // The backend answers only once both calls have arrived: one shared call would never be answered.
    const [carol, dave] = await Promise.all([
      me(gateway, await rs256('carol', k1, 'k1'), { 'x-hold': '1', 'x-tenant-id': 't' }),
      me(gateway, await rs256('dave', k1, 'k1'), { 'x-hold': '1', 'x-tenant-id': 't' }),
    ]);
    expect([carol.user, dave.user]).toEqual(['carol|t|no-auth', 'dave|t|no-auth']);
    expect(echo.received).toHaveLength(2);
  });
});
