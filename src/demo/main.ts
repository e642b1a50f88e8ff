/**
 * Runs the four demo backends on fixed ports until SIGINT or SIGTERM:
 * `npx tsx src/demo/main.ts [--latency-ms N]`. Ports come from `INVENTORY_PORT`, `LOGISTICS_PORT`,
 * `ORDERS_PORT` and `REVIEWS_PORT`, else `DEMO_DEFAULT_PORTS`; `--latency-ms` overrides `DEMO_LATENCY_MS`;
 * `DEMO_HOST` sets the interface (default 127.0.0.1).
 */
import { parseArgs } from 'node:util';
import { DEMO_DEFAULT_PORTS, startDemoBackends, type DemoBackendName } from './index.js';

function portFromEnv(name: DemoBackendName): number {
  const variable = `${name.toUpperCase()}_PORT`;
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return DEMO_DEFAULT_PORTS[name];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`${variable} must be a port number, got ${raw}`);
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'latency-ms': { type: 'string' } } });
  const latencyArg = values['latency-ms'];
  const backends = await startDemoBackends({
    ports: {
      inventory: portFromEnv('inventory'),
      logistics: portFromEnv('logistics'),
      orders: portFromEnv('orders'),
      reviews: portFromEnv('reviews'),
    },
    ...(latencyArg === undefined ? {} : { latencyMs: Number(latencyArg) }),
    // In a container the backends must listen beyond loopback: DEMO_HOST=0.0.0.0.
    ...(process.env['DEMO_HOST'] ? { host: process.env['DEMO_HOST'] } : {}),
  });
  const { inventory, logistics, orders, reviews } = backends;
  console.log(`inventory  REST     ${inventory.url}`);
  console.log(`logistics  REST     ${logistics.url}`);
  console.log(`orders     gRPC     ${orders.url}`);
  console.log(`reviews    GraphQL  ${reviews.url}/graphql`);

  function stop(signal: NodeJS.Signals): void {
    console.log(`${signal}: stopping the demo backends`);
    backends.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  }
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch(function failToStart(error: unknown) {
  console.error(error);
  process.exit(1);
});
