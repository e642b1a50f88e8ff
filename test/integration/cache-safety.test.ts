import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { SEED_QUERY, SEED_RESULT, startDemoGateway } from '../helpers/demo-gateway.js';

const SPEC = join(import.meta.dirname, '..', 'fixtures', 'whoami.openapi.yaml');

/** A REST backend whose answer depends on the caller: it echoes the bearer token's subject. */
function startWhoami(): Promise<{ server: Server; url: string; calls: () => number }> {
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ user: (req.headers.authorization ?? 'anonymous').replace(/^Bearer /, '') }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls: () => calls })));
}

describe('cache safety', () => {
  let backend: Awaited<ReturnType<typeof startWhoami>>;
  let gateway: Gateway;
  beforeAll(async () => {
    backend = await startWhoami();
    gateway = await createGateway(
      validateConfig({ cache: { ttl: 60 }, sources: [{ name: 'profile', kind: 'openapi', spec: SPEC, endpoints: [backend.url], forwardHeaders: ['authorization'] }] }, join(import.meta.dirname, 'inline.yaml')),
    );
  });
  afterAll(async () => {
    await gateway?.[Symbol.asyncDispose]();
    backend?.server.close();
  });

  async function me(token: string) {
    const response = await gateway.fetch('http://gateway/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { user } }' }),
    });
    return ((await response.json()) as { data: { me: { user: string } } }).data.me.user;
  }

  it('keeps entries per caller: two users with different tokens never see each other\'s data', async () => {
    expect(await me('alice')).toBe('alice');
    expect(await me('bob')).toBe('bob');
    expect(backend.calls()).toBe(2);
    // Both now answer from the cache, each their own entry.
    expect(await me('alice')).toBe('alice');
    expect(await me('bob')).toBe('bob');
    expect(backend.calls()).toBe(2);
  });

  it('makes a live call when the client sends Cache-Control: no-cache', async () => {
    const before = backend.calls();
    const response = await gateway.fetch('http://gateway/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer alice', 'cache-control': 'no-cache' },
      body: JSON.stringify({ query: '{ me { user } }' }),
    });
    expect(((await response.json()) as { data: unknown }).data).toEqual({ me: { user: 'alice' } });
    expect(backend.calls()).toBe(before + 1);
  });
});

describe('request coalescing across concurrent requests', () => {
  it('makes one upstream call per backend for 50 concurrent identical queries', async () => {
    // gateway.fetch starts all 50 in this tick, without sockets in between; each backend takes 300 ms, so every
    // request reaches each call while the first one is still in flight, however loaded the machine is.
    await using demo = await startDemoGateway({ latencyMs: 300, edit: (raw) => void (raw['cache'] = { ttl: 0, staleIfError: 0 }) });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        demo.gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: SEED_QUERY }) }),
      ),
    );
    for (const response of responses) expect(await response.json()).toEqual({ data: SEED_RESULT });
    expect(demo.backends.orders.stats.byOperation).toEqual({ GetOrder: 1 });
    expect(demo.backends.inventory.stats.byOperation).toEqual({ productsByIds: 1 });
    expect(demo.backends.logistics.stats.byOperation).toEqual({ shipmentsByOrders: 1 });
  });
});
