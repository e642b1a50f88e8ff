import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONFIG } from '../../src/cli/demo.js';
import { validateConfig } from '../../src/config/load.js';
import { startInventory, startOrders, startReviews, type DemoBackend } from '../../src/demo/index.js';
import { SEED_QUERY } from '../../src/demo/seed-query.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { postQuery } from '../helpers/load.js';
import { startBackendProcess } from '../helpers/processes.js';

/**
 * One frozen backend never slows the fields of the others: while calls to a frozen logistics process hang,
 * a steady load of queries over the other backends is answered in full, every one of them before any query
 * waiting for logistics comes back. Proven by arrival order, not by clocks.
 */
describe('a frozen backend under load', () => {
  let logistics: Awaited<ReturnType<typeof startBackendProcess>>;
  let others: DemoBackend[];
  let gateway: Gateway;
  let server: RunningServer;

  beforeAll(async () => {
    logistics = await startBackendProcess('logistics');
    others = await Promise.all([startInventory(), startOrders(), startReviews()]);
    const [inventory, orders, reviews] = others;
    const raw = parseYaml(readFileSync(DEMO_CONFIG, 'utf8')) as Record<string, unknown>;
    const env = { INVENTORY_URL: inventory!.url, LOGISTICS_URL: logistics.url, ORDERS_ADDRESS: orders!.url, REVIEWS_URL: `${reviews!.url}/graphql` };
    gateway = await createGateway(validateConfig(raw, DEMO_CONFIG, { env }));
    server = await listen(gateway, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server?.close();
    await gateway?.[Symbol.asyncDispose]();
    await logistics?.kill();
    await Promise.all((others ?? []).map((b) => b.close()));
  });

  it('answers every query over the other backends before any query waiting on the frozen one', async () => {
    expect((await postQuery(server.url, SEED_QUERY)).body.errors).toBeUndefined();
    logistics.child.kill('SIGSTOP');
    const arrivals: string[] = [];
    const waiting = Array.from({ length: 8 }, (_, i) =>
      postQuery(server.url, SEED_QUERY.replace('"1"', `"${i + 2}"`)).then((answer) => {
        arrivals.push('logistics');
        return answer;
      }),
    );
    // The eight calls are out and hanging at the frozen backend.
    const inFlight = async () => Number(/interchange_source_in_flight\{source="logistics"\} (\d+)/.exec(await (await gateway.fetch('http://gateway.test/metrics')).text())?.[1] ?? 0);
    for (let i = 0; i < 500 && (await inFlight()) < 1; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(await inFlight()).toBeGreaterThanOrEqual(1);

    const others = await Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        const bodies = [];
        for (let i = 0; i < 25; i++) {
          const { status, body } = await postQuery(server.url, `{ order(id: "${worker * 25 + i + 1}") { id products { id stock } } product(id: "p${(i % 10) + 1}") { reviews { rating } } }`);
          arrivals.push('others');
          bodies.push({ status, body });
        }
        return bodies;
      }),
    );
    expect(others.flat().filter((r) => r.status !== 200 || r.body.errors)).toEqual([]);
    expect(arrivals).toEqual(Array(100).fill('others'));

    logistics.child.kill('SIGCONT');
    const answers = await Promise.all(waiting);
    expect(arrivals.slice(100)).toEqual(Array(8).fill('logistics'));
    for (const { body } of answers) expect(body.errors).toBeUndefined(); // resumed within the call timeout
  });
});
