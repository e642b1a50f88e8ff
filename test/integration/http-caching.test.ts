import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';

const SPEC = join(import.meta.dirname, '..', 'fixtures', 'cacheable.openapi.yaml');

/**
 * A REST backend whose caching headers each test sets: the gateway must honour max-age, no-store and private,
 * and revalidate with ETag. It counts calls and records the request headers it got.
 */
function startBackend() {
  const seen: IncomingHttpHeaders[] = [];
  let headers: Record<string, string> = {};
  let version = 0;
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    const etag = headers['etag'];
    if (etag !== undefined && req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return;
    }
    version++;
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ id: req.url!.split('/').pop(), version }));
  });
  return new Promise<{ url: string; seen: IncomingHttpHeaders[]; respondWith(h: Record<string, string>): void; close(): void }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        seen,
        respondWith: (h) => void (headers = h),
        close: () => server.close(),
      }),
    ),
  );
}

describe('honouring HTTP caching headers of REST backends', () => {
  let backend: Awaited<ReturnType<typeof startBackend>>;
  let gateway: Gateway;
  beforeAll(async () => {
    backend = await startBackend();
    gateway = await createGateway(
      validateConfig(
        { cache: { ttl: 0, scope: 'public' }, sources: [{ name: 'items', kind: 'openapi', spec: SPEC, endpoints: [backend.url]}] },
        join(import.meta.dirname, 'inline.yaml'),
      ),
    );
  });
  afterAll(async () => {
    await gateway?.[Symbol.asyncDispose]();
    backend?.close();
  });
  beforeEach(() => {
    backend.seen.length = 0;
  });

  async function item(id: string) {
    const response = await gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ item(id: "${id}") { id version } }` }) });
    const body = (await response.json()) as { data: { item: { id: string; version: number } } };
    return { item: body.data.item, cacheStatus: response.headers.get('cache-status') };
  }

  it('caches for the backend\'s max-age even when the configured ttl is 0', async () => {
    backend.respondWith({ 'cache-control': 'public, max-age=60' });
    const first = await item('a');
    const second = await item('a');
    expect(second.item).toEqual(first.item);
    expect(backend.seen).toHaveLength(1);
    expect(second.cacheStatus).toBe('interchange-items; hit');
  });

  it('does not store a no-store answer', async () => {
    backend.respondWith({ 'cache-control': 'no-store, max-age=60' });
    await item('b');
    await item('b');
    expect(backend.seen).toHaveLength(2);
  });

  it('does not store a private answer in a public entry', async () => {
    backend.respondWith({ 'cache-control': 'private, max-age=60' });
    await item('c');
    await item('c');
    expect(backend.seen).toHaveLength(2);
  });

  it('revalidates a stale entry with If-None-Match and serves it again on 304', async () => {
    backend.respondWith({ 'cache-control': 'max-age=0', etag: '"v-d"' });
    const first = await item('d');
    const second = await item('d');
    expect(backend.seen).toHaveLength(2);
    expect(backend.seen[0]!['if-none-match']).toBeUndefined();
    expect(backend.seen[1]!['if-none-match']).toBe('"v-d"');
    expect(second.item).toEqual(first.item);
    expect(second.cacheStatus).toBe('interchange-items; fwd=stale; fwd-status=304');
  });
});
