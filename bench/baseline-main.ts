/**
 * Child process of `bench/run.ts`: the direct-call baseline on a free loopback port.
 *
 *   INVENTORY_URL=... LOGISTICS_URL=... ORDERS_ADDRESS=... node --import tsx bench/baseline-main.ts [--port N]
 *   → prints `BENCH_READY {"url":"http://127.0.0.1:PORT/graphql"}`
 */
import { parseArgs } from 'node:util';
import { startBaseline } from './baseline-aggregator.js';
import { exitWhenOrphaned } from './orphan-guard.js';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} must be set`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
  const baseline = await startBaseline({
    port: Number(values.port),
    inventoryUrl: requiredEnv('INVENTORY_URL'),
    logisticsUrl: requiredEnv('LOGISTICS_URL'),
    ordersAddress: requiredEnv('ORDERS_ADDRESS'),
  });
  let stopping = false;
  function stop(): void {
    if (stopping) return;
    stopping = true;
    baseline.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  exitWhenOrphaned(stop);
  process.stdout.write(`BENCH_READY ${JSON.stringify({ url: baseline.url })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
