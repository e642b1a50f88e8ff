import { DEMO_CONFIG, demoEnv } from '../../src/cli/demo.js';
import { loadConfigFile, validateConfig, type GatewayConfig } from '../../src/config/load.js';
import { startDemoBackends, type DemoBackends } from '../../src/demo/index.js';
import { SEED_QUERY } from '../../src/demo/seed-query.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import type { Logger } from '../../src/observability/logger.js';

export interface DemoGateway extends AsyncDisposable {
  backends: DemoBackends;
  gateway: Gateway;
  server: RunningServer;
  config: GatewayConfig;
  /** POSTs a query to the gateway over HTTP. */
  query(query: string, options?: { variables?: Record<string, unknown>; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: GraphqlBody }>;
}

export interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

/**
 * The demo's backends on free ports and a gateway over them on a free port, from the real interchange.yaml.
 * `edit` may change the parsed config (cache policy, timeouts) before it is validated.
 */
export async function startDemoGateway(options: { latencyMs?: number; edit?: (raw: Record<string, unknown>) => void; logger?: Logger } = {}): Promise<DemoGateway> {
  const backends = await startDemoBackends(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {});
  const env = { ...process.env, ...demoEnv(backends) };
  let config = loadConfigFile(DEMO_CONFIG, { env });
  if (options.edit) {
    const raw = structuredClone(config) as unknown as Record<string, unknown>;
    delete raw['file'];
    options.edit(raw);
    config = validateConfig(raw, DEMO_CONFIG, { env });
  }
  const gateway = await createGateway(config, { graphiqlDefaultQuery: SEED_QUERY, ...(options.logger ? { logger: options.logger } : {}) });
  const server = await listen(gateway, { port: 0, host: '127.0.0.1' });
  const close = async () => {
    await server.close();
    await gateway[Symbol.asyncDispose]();
    await backends.close();
  };
  return {
    backends,
    gateway,
    server,
    config,
    async query(query, queryOptions = {}) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...queryOptions.headers },
        body: JSON.stringify({ query, variables: queryOptions.variables }),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as GraphqlBody };
    },
    [Symbol.asyncDispose]: close,
  };
}

export { SEED_QUERY };

export const SEED_RESULT = {
  order: {
    id: '1',
    customerId: 'c-100',
    products: [
      { id: 'p1', name: 'Pallet jack', price: 349.99, stock: 12 },
      { id: 'p2', name: 'Barcode scanner', price: 89.5, stock: 40 },
    ],
    shipment: { status: 'IN_TRANSIT', carrier: 'DHL', eta: '2026-12-01T12:00:00Z' },
  },
};
