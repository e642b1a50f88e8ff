import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DEMO_CONFIG } from '../../src/cli/demo.js';
import { validateConfig } from '../../src/config/load.js';
import { startInventory, startOrders, startReviews, type DemoBackend } from '../../src/demo/index.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { startBackendProcess } from './processes.js';

export interface LogisticsApart extends AsyncDisposable {
  readonly backends: DemoBackend[];
  /** The logistics backend in a child process of its own, so it can be killed or frozen (SIGSTOP) for real. */
  readonly logistics: Awaited<ReturnType<typeof startBackendProcess>>;
  readonly gateway: Gateway;
  readonly server: RunningServer;
}

/** The demo over real backends, logistics in its own process, the gateway on a free port; `edit` changes the raw config. */
export async function startWithLogisticsApart(edit: (raw: Record<string, unknown>) => void = () => {}): Promise<LogisticsApart> {
  const backends = await Promise.all([startInventory(), startOrders(), startReviews()]);
  const logistics = await startBackendProcess('logistics');
  const [inventory, orders, reviews] = backends;
  const env = { INVENTORY_URL: inventory!.url, LOGISTICS_URL: logistics.url, ORDERS_ADDRESS: orders!.url, REVIEWS_URL: `${reviews!.url}/graphql` };
  const raw = parseYaml(readFileSync(DEMO_CONFIG, 'utf8')) as Record<string, unknown>;
  edit(raw);
  const gateway = await createGateway(validateConfig(raw, DEMO_CONFIG, { env }));
  const server = await listen(gateway, { port: 0, host: '127.0.0.1' });
  return {
    backends,
    logistics,
    gateway,
    server,
    async [Symbol.asyncDispose]() {
      await server.close();
      await gateway[Symbol.asyncDispose]();
      await logistics.kill();
      await Promise.all(backends.map((b) => b.close()));
    },
  };
}
