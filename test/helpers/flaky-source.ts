import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import type { GraphqlBody } from './demo-gateway.js';

/**
 * Real HTTP backends of the `flaky` OpenAPI source (test/fixtures/flaky.openapi.yaml: `item(id)` is
 * `GET /items/{id}`, `touchItem(id)` is `POST /items/{id}`) whose answers a test scripts, and a gateway over them.
 */
export interface HttpBackend {
  readonly url: string;
  close(): Promise<void>;
}

/** A node:http server on a free loopback port answering with `handle`. */
export async function startHttpBackend(handle: RequestListener): Promise<HttpBackend> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** The `{id}` of a `/items/{id}` request. */
export function itemIdOf(url: string | undefined): string {
  return decodeURIComponent((url ?? '').split('/').pop() ?? '');
}

/** A gateway with the one source `flaky` over `endpoints` (no stale serving, no breaker unless `source` says so). */
export async function flakyGateway(endpoints: readonly unknown[], source: Record<string, unknown> = {}, server: Record<string, unknown> = {}): Promise<Gateway> {
  const raw = {
    server,
    sources: [{ name: 'flaky', kind: 'openapi', spec: './flaky.openapi.yaml', endpoints, cache: { staleIfError: 0 }, breaker: { enabled: false }, ...source }],
  };
  return createGateway(validateConfig(raw, join(import.meta.dirname, '..', 'fixtures', 'interchange.yaml')));
}

/** POSTs `text` to the gateway's /graphql and returns the body. */
export async function query(gateway: Gateway, text: string): Promise<GraphqlBody> {
  const response = await gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) });
  return (await response.json()) as GraphqlBody;
}
