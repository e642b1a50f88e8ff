/**
 * Child process of `bench/run.ts`: the four demo backends on free loopback ports, plus a small control server
 * so the parent can read and reset every backend's call counter, the gRPC one included (`/__stats` exists only
 * on the HTTP backends).
 *
 *   node --import tsx bench/backends-main.ts [--latency-ms N]
 *   → prints `BENCH_READY {"inventory":URL,"logistics":URL,"orders":HOST:PORT,"reviews":URL,"control":URL}`
 *
 * Control server: `GET /stats` → `{ inventory: { calls, byOperation }, ... }`, `POST /reset` → 204,
 * `POST /stop?backend=NAME` → 204 once that backend's server is closed (its port then refuses connections),
 * `POST /start?backend=NAME` → 204 once it listens again on the same port, with new call counters. These two
 * exist for the stale-if-error benchmark (`npm run bench -- --cache`) and only here, not in the demo itself.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { startDemoBackends, startInventory, startLogistics, startOrders, startReviews, type DemoBackend, type DemoBackendOptions } from '../src/demo/index.js';
import { exitWhenOrphaned } from './orphan-guard.js';

export interface BackendsReady {
  inventory: string;
  logistics: string;
  orders: string;
  reviews: string;
  control: string;
}

const NAMES = ['inventory', 'logistics', 'orders', 'reviews'] as const;

export type BackendName = (typeof NAMES)[number];

export type BackendCallCounts = Record<BackendName, { calls: number; byOperation: Record<string, number> }>;

const STARTERS: Record<BackendName, (options: DemoBackendOptions) => Promise<DemoBackend>> = {
  inventory: startInventory,
  logistics: startLogistics,
  orders: startOrders,
  reviews: startReviews,
};

/** A stopped backend counts 0 calls (a refused connection reaches no handler). */
function countsOf(backends: Record<BackendName, DemoBackend | undefined>): BackendCallCounts {
  const counts = {} as BackendCallCounts;
  // Without `arrivals`: up to 10,000 entries per backend that the benchmark does not need.
  for (const name of NAMES) {
    const stats = backends[name]?.stats;
    counts[name] = { calls: stats?.calls ?? 0, byOperation: { ...stats?.byOperation } };
  }
  return counts;
}

function isBackendName(name: string | null): name is BackendName {
  return (NAMES as readonly (string | null)[]).includes(name);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'latency-ms': { type: 'string', default: '0' } } });
  const latencyMs = Number(values['latency-ms']);
  const started = await startDemoBackends({ latencyMs, host: '127.0.0.1' });
  // The running servers; a stopped one is undefined until it is started again (on its old port).
  const backends: Record<BackendName, DemoBackend | undefined> = { inventory: started.inventory, logistics: started.logistics, orders: started.orders, reviews: started.reviews };
  const ports: Record<BackendName, number> = { inventory: started.inventory.port, logistics: started.logistics.port, orders: started.orders.port, reviews: started.reviews.port };

  /** Stops or starts one backend; resolves with the HTTP status to answer. */
  async function toggle(action: 'stop' | 'start', name: BackendName): Promise<number> {
    const running = backends[name];
    if (action === 'stop') {
      if (running === undefined) return 409;
      backends[name] = undefined;
      await running.close();
      return 204;
    }
    if (running !== undefined) return 409;
    backends[name] = await STARTERS[name]({ port: ports[name], host: '127.0.0.1', latencyMs });
    return 204;
  }

  const control = createServer(function handleControl(req, res) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/stats') {
      const body = JSON.stringify(countsOf(backends));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/reset') {
      for (const name of NAMES) backends[name]?.stats.reset();
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && (url.pathname === '/stop' || url.pathname === '/start')) {
      const name = url.searchParams.get('backend');
      if (!isBackendName(name)) {
        res.writeHead(400).end(`backend must be one of ${NAMES.join(', ')}`);
        return;
      }
      toggle(url.pathname === '/stop' ? 'stop' : 'start', name).then(
        (status) => res.writeHead(status).end(status === 409 ? `${name} is already ${url.pathname === '/stop' ? 'stopped' : 'running'}` : undefined),
        (error: unknown) => res.writeHead(500).end(error instanceof Error ? error.message : String(error)),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const { port } = control.address() as AddressInfo;

  let stopping = false;
  function stop(): void {
    if (stopping) return;
    stopping = true;
    control.closeAllConnections();
    control.close();
    Promise.all(NAMES.map((name) => backends[name]?.close())).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  exitWhenOrphaned(stop);

  const ready: BackendsReady = {
    inventory: started.inventory.url,
    logistics: started.logistics.url,
    orders: started.orders.url,
    reviews: `${started.reviews.url}/graphql`,
    control: `http://127.0.0.1:${port}`,
  };
  process.stdout.write(`BENCH_READY ${JSON.stringify(ready)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
