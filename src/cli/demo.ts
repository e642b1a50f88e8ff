import { fileURLToPath } from 'node:url';
import { startDemoBackends } from '../demo/index.js';
import { SEED_QUERY } from '../demo/seed-query.js';
import { runGateway } from './run-gateway.js';

/** The demo's config: the same file `interchange serve --config interchange.yaml` reads. */
export const DEMO_CONFIG = fileURLToPath(new URL('../../interchange.yaml', import.meta.url));

/** `interchange demo [--port N] [--latency-ms N]`: the warehouse backends on free ports plus a gateway over them. */
export async function runDemo(options: { port?: number; latencyMs?: number }): Promise<number> {
  const backends = await startDemoBackends(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {});
  try {
    await runGateway(DEMO_CONFIG, { port: options.port, env: { ...process.env, ...demoEnv(backends) }, onClose: () => backends.close(), graphiqlDefaultQuery: SEED_QUERY });
    process.stdout.write(
      `Demo backends: inventory ${backends.inventory.url} (REST), logistics ${backends.logistics.url} (REST), ` +
        `orders ${backends.orders.url} (gRPC), reviews ${backends.reviews.url}/graphql (GraphQL)\n` +
        'Open the GraphQL URL above in a browser for GraphiQL; the seed query is already in the editor. Ctrl-C stops everything.\n',
    );
  } catch (error) {
    await backends.close();
    throw error;
  }
  return -1;
}

/** The variables `interchange.yaml` reads its endpoints from. */
export function demoEnv(backends: { inventory: { url: string }; logistics: { url: string }; orders: { url: string }; reviews: { url: string } }): Record<string, string> {
  return {
    INVENTORY_URL: backends.inventory.url,
    LOGISTICS_URL: backends.logistics.url,
    ORDERS_ADDRESS: backends.orders.url,
    REVIEWS_URL: `${backends.reviews.url}/graphql`,
  };
}
