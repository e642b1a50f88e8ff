/**
 * Child process of `bench/run.ts`: the four demo backends on free loopback ports, plus a small control server
 * so the parent can read and reset every backend's call counter, the gRPC one included (`/__stats` exists only
 * on the HTTP backends).
 *
 *   node --import tsx bench/backends-main.ts [--latency-ms N]
 *   → prints `BENCH_READY {"inventory":URL,"logistics":URL,"orders":HOST:PORT,"reviews":URL,"control":URL}`
 *
 * Control server: `GET /stats` → `{ inventory: { calls, byOperation }, ... }`, `POST /reset` → 204.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { startDemoBackends, type DemoBackends } from '../src/demo/index.js';
import { exitWhenOrphaned } from './orphan-guard.js';

export interface BackendsReady {
  inventory: string;
  logistics: string;
  orders: string;
  reviews: string;
  control: string;
}

export type BackendCallCounts = Record<'inventory' | 'logistics' | 'orders' | 'reviews', { calls: number; byOperation: Record<string, number> }>;

const NAMES = ['inventory', 'logistics', 'orders', 'reviews'] as const;

function countsOf(backends: DemoBackends): BackendCallCounts {
  const counts = {} as BackendCallCounts;
  // Without `arrivals`: up to 10,000 entries per backend that the benchmark does not need.
  for (const name of NAMES) counts[name] = { calls: backends[name].stats.calls, byOperation: { ...backends[name].stats.byOperation } };
  return counts;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'latency-ms': { type: 'string', default: '0' } } });
  const latencyMs = Number(values['latency-ms']);
  const backends = await startDemoBackends({ latencyMs, host: '127.0.0.1' });

  const control = createServer(function handleControl(req, res) {
    if (req.method === 'GET' && req.url === '/stats') {
      const body = JSON.stringify(countsOf(backends));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    if (req.method === 'POST' && req.url === '/reset') {
      for (const name of NAMES) backends[name].stats.reset();
      res.writeHead(204).end();
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
    backends.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  exitWhenOrphaned(stop);

  const ready: BackendsReady = {
    inventory: backends.inventory.url,
    logistics: backends.logistics.url,
    orders: backends.orders.url,
    reviews: `${backends.reviews.url}/graphql`,
    control: `http://127.0.0.1:${port}`,
  };
  process.stdout.write(`BENCH_READY ${JSON.stringify(ready)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
