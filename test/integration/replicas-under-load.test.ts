import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONFIG } from '../../src/cli/demo.js';
import { validateConfig } from '../../src/config/load.js';
import { startInventory, startLogistics, startOrders, startReviews, type DemoBackend } from '../../src/demo/index.js';
import { SEED_QUERY } from '../../src/demo/seed-query.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { backendCalls, errorCodes, failed, postQuery, runLoad } from '../helpers/load.js';
import { startBackendProcess } from '../helpers/processes.js';

/**
 * Replicas, health and breakers against real backend processes under steady concurrent load: a replica is
 * killed (SIGKILL) or frozen (SIGSTOP) while the load runs. Stale answers are switched off for the source under
 * test (`staleIfError: 0`), so a clean response can only come from a live replica. Proof is by counts: failed
 * responses, and calls each backend answered (`GET /__stats`, read after a frozen one is resumed).
 */

type Backend = Awaited<ReturnType<typeof startBackendProcess>>;

const seedQueryFor = (i: number) => SEED_QUERY.replace('"1"', `"${(i % 40) + 1}"`);

async function startGateway(urls: { inventory: string[]; logistics: string; orders: string; reviews: string }, edit: (sources: Record<string, Record<string, unknown>>) => void) {
  const raw = parseYaml(readFileSync(DEMO_CONFIG, 'utf8')) as Record<string, unknown>;
  const sources = Object.fromEntries((raw['sources'] as Record<string, unknown>[]).map((s) => [String(s['name']), s]));
  sources['inventory']!['endpoints'] = urls.inventory;
  edit(sources);
  const env = { INVENTORY_URL: urls.inventory[0]!, LOGISTICS_URL: urls.logistics, ORDERS_ADDRESS: urls.orders, REVIEWS_URL: `${urls.reviews}/graphql` };
  const gateway = await createGateway(validateConfig(raw, DEMO_CONFIG, { env }));
  const server = await listen(gateway, { port: 0, host: '127.0.0.1' });
  return { gateway, server };
}

async function metricValue(gateway: Gateway, pattern: RegExp): Promise<number> {
  const text = await (await gateway.fetch('http://gateway.test/metrics')).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}

describe('two inventory replicas under steady load', () => {
  let replicas: Backend[];
  let others: DemoBackend[];
  let gateway: Gateway;
  let server: RunningServer;
  const condition = (url: string) => gateway.current.sources.get('inventory')!.resilience().replicas.find((r) => r.url === url)!.condition;

  beforeAll(async () => {
    replicas = await Promise.all([startBackendProcess('inventory'), startBackendProcess('inventory'), startBackendProcess('inventory')]);
    others = await Promise.all([startOrders(), startLogistics(), startReviews()]);
    ({ gateway, server } = await startGateway(
      { inventory: [replicas[0]!.url, replicas[1]!.url], logistics: others[1]!.url, orders: others[0]!.url, reviews: others[2]!.url },
      (sources) =>
        Object.assign(sources['inventory']!, {
          timeoutMs: 300,
          cache: { staleIfError: 0 },
          health: { failures: 3, ejectionMs: 1_000, maxEjectionMs: 2_000 },
        }),
    ));
  });
  afterAll(async () => {
    await server?.close();
    await gateway?.[Symbol.asyncDispose]();
    await Promise.all((replicas ?? []).map((r) => r.kill()));
    await Promise.all((others ?? []).map((b) => b.close()));
  });

  it('loses no response when one replica is killed', async () => {
    const [a, b] = replicas;
    const warm = await runLoad({ url: server.url, requests: 60, workers: 6, query: seedQueryFor });
    expect(failed(warm)).toEqual([]);
    expect(await backendCalls(a!.url)).toBeGreaterThan(0);
    expect(await backendCalls(b!.url)).toBeGreaterThan(0);

    await a!.kill('SIGKILL');
    const afterKill = await runLoad({ url: server.url, requests: 200, workers: 6, query: seedQueryFor });
    expect(failed(afterKill)).toEqual([]);
    expect(afterKill).toHaveLength(200);
    expect(condition(a!.url)).toMatch(/ejected|probation|circuit-open/);
    expect(await metricValue(gateway, /interchange_replica_ejections_total\{source="inventory",endpoint="[^"]+"\} (\d+)/)).toBeGreaterThanOrEqual(1);
  });

  it('loses no response when one replica freezes: it is ejected after the first timeouts, gets no more calls, and is re-admitted once resumed', async () => {
    // A fresh pair: the third process replaces the killed one.
    const [, b, c] = replicas;
    await gateway.reload(
      validateConfig(
        (() => {
          const raw = structuredClone(gateway.current.config) as unknown as Record<string, unknown>;
          delete raw['file'];
          const inventory = (raw['sources'] as Record<string, unknown>[]).find((s) => s['name'] === 'inventory')!;
          inventory['endpoints'] = [b!.url, c!.url];
          return raw;
        })(),
        DEMO_CONFIG,
      ),
    );
    expect(failed(await runLoad({ url: server.url, requests: 40, workers: 6, query: seedQueryFor }))).toEqual([]);
    const before = await backendCalls(c!.url);
    const ejectionsOfC = () => metricValue(gateway, new RegExp(`interchange_replica_ejections_total\\{source="inventory",endpoint="${c!.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"\\} (\\d+)`));
    const ejectionsBefore = await ejectionsOfC();

    c!.child.kill('SIGSTOP');
    const frozen = await runLoad({ url: server.url, requests: 200, workers: 6, query: seedQueryFor });
    expect(failed(frozen)).toEqual([]); // reads that timed out on c were retried on b
    // Out of the normal rotation: ejected, or (when the run outlasted the ejection on a loaded machine) on
    // probation with its one trial call; either way it gets no share, which the call count below proves.
    expect(condition(c!.url)).toMatch(/ejected|probation|circuit-open/);
    expect(await ejectionsOfC()).toBeGreaterThan(ejectionsBefore); // it was sent calls, which timed out
    c!.child.kill('SIGCONT');
    // What c counts now is at most the calls it was sent while frozen: the first timeouts and a trial or two, not
    // its share. (Not at least one: a call the gateway gave up on may be dropped unread with its connection.)
    const sentWhileFrozen = (await backendCalls(c!.url)) - before;
    expect(sentWhileFrozen).toBeLessThanOrEqual(12);

    // Resumed: after its ejection, a trial call brings it back and it takes its share again.
    let resumedCalls = 0;
    for (let round = 0; round < 100 && resumedCalls < 5; round++) {
      expect(failed(await runLoad({ url: server.url, requests: 12, workers: 4, query: seedQueryFor }))).toEqual([]);
      resumedCalls = (await backendCalls(c!.url)) - before - sentWhileFrozen;
    }
    expect(resumedCalls).toBeGreaterThanOrEqual(5);
    expect(condition(c!.url)).toBe('up');
  });
});

describe('a frozen single-replica backend', () => {
  let logistics: Backend;
  let others: DemoBackend[];
  let gateway: Gateway;
  let server: RunningServer;
  const circuit = () => gateway.current.sources.get('logistics')!.resilience().circuit;

  beforeAll(async () => {
    logistics = await startBackendProcess('logistics');
    others = await Promise.all([startInventory(), startOrders(), startReviews()]);
    const [inventory, orders, reviews] = others;
    ({ gateway, server } = await startGateway({ inventory: [inventory!.url], logistics: logistics.url, orders: orders!.url, reviews: reviews!.url }, (sources) =>
      Object.assign(sources['logistics']!, {
        timeoutMs: 300,
        cache: { staleIfError: 0 },
        breaker: { minCalls: 5, errorPercent: 50, openMs: 1_000 },
      }),
    ));
  });
  afterAll(async () => {
    await server?.close();
    await gateway?.[Symbol.asyncDispose]();
    await logistics?.kill();
    await Promise.all((others ?? []).map((b) => b.close()));
  });

  it('times out first, then the breaker opens and calls fail fast with CIRCUIT_OPEN, the other fields intact; resumed, it half-opens and closes', async () => {
    expect(failed(await runLoad({ url: server.url, requests: 10, workers: 2, query: seedQueryFor }))).toEqual([]);
    const before = await backendCalls(logistics.url);
    logistics.child.kill('SIGSTOP');

    const frozen = await runLoad({ url: server.url, requests: 60, workers: 4, query: seedQueryFor });
    const codes = errorCodes(frozen);
    expect(Object.keys(codes).sort()).toEqual(['CIRCUIT_OPEN', 'SOURCE_TIMEOUT']);
    expect(codes['CIRCUIT_OPEN']).toBeGreaterThan(codes['SOURCE_TIMEOUT']!);
    for (const { status, body } of frozen) {
      expect(status).toBe(200);
      const order = body.data!['order'] as Record<string, unknown>;
      expect(order['shipment']).toBeNull();
      expect((order['products'] as unknown[]).length).toBeGreaterThan(0); // the inventory field of the same query
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0]!.extensions).toMatchObject({ source: 'logistics' });
    }
    expect(circuit()).toMatch(/open|half-open/);

    logistics.child.kill('SIGCONT');
    // Fail fast means not sent: the backend got only the calls that timed out (probes included), none of the CIRCUIT_OPEN ones.
    expect((await backendCalls(logistics.url)) - before).toBeLessThanOrEqual(codes['SOURCE_TIMEOUT']!);

    // The breaker stays open for openMs (real time, opossum's timer): while calls still fail fast, poll at a pace
    // that outlasts it, rather than counting on 200 quick requests taking longer than a second.
    let clean = 0;
    for (let round = 0; round < 200 && clean < 10; round++) {
      const { body } = await postQuery(server.url, seedQueryFor(round));
      clean = body.errors ? 0 : clean + 1;
      if (body.errors?.some((e) => e.extensions?.['code'] === 'CIRCUIT_OPEN')) await new Promise((r) => setTimeout(r, 50));
    }
    expect(clean).toBe(10);
    expect(circuit()).toBe('closed');
    const transitions = (state: string) => metricValue(gateway, new RegExp(`interchange_circuit_transitions_total\\{source="logistics",endpoint="\\*",state="${state}"\\} (\\d+)`));
    expect(await transitions('open')).toBeGreaterThanOrEqual(1);
    expect(await transitions('half-open')).toBeGreaterThanOrEqual(1);
    expect(await transitions('closed')).toBe(1);
  });
});
