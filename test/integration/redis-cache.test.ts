import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml, parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { DEMO_CONFIG } from '../../src/cli/demo.js';
import { startInventory, startOrders, startReviews, type DemoBackend } from '../../src/demo/index.js';
import { SEED_QUERY, SEED_RESULT, type GraphqlBody } from '../helpers/demo-gateway.js';
import { startBackendProcess, startGatewayProcess } from '../helpers/processes.js';
import { redisKeys, startRedis } from '../helpers/redis.js';
import { findSystemBinary } from '../helpers/system-deps.js';
import { tempDir } from '../helpers/temp-dir.js';

const redisServer = findSystemBinary('redis-server', 'redis-server');

async function post(url: string, query: string) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as GraphqlBody };
}

/** Redis, the demo backends (logistics in its own process) and two gateway processes sharing the cache. */
async function startCluster(dir: ReturnType<typeof tempDir>, cache: Record<string, unknown>, inventoryLatencyMs = 0, clockStepMs?: number) {
  const redis = await startRedis(redisServer!);
  const backends = await Promise.all([startInventory({ latencyMs: inventoryLatencyMs }), startOrders(), startReviews()]);
  const logistics = await startBackendProcess('logistics');
  const raw = parseYaml(readFileSync(DEMO_CONFIG, 'utf8')) as Record<string, unknown>;
  raw['cache'] = { store: redis.url, ...cache };
  for (const source of raw['sources'] as { spec?: string; proto?: string; schema?: string }[]) {
    for (const key of ['spec', 'proto', 'schema'] as const) if (source[key]) source[key] = new URL(source[key]!, `file://${DEMO_CONFIG}`).pathname;
  }
  raw['links'] = new URL(raw['links'] as string, `file://${DEMO_CONFIG}`).pathname;
  const config = dir.write('interchange.yaml', toYaml(raw));
  const [inventory, orders, reviews] = backends;
  const env = { INVENTORY_URL: inventory!.url, LOGISTICS_URL: logistics.url, ORDERS_ADDRESS: orders!.url, REVIEWS_URL: `${reviews!.url}/graphql` };
  const clock = clockStepMs !== undefined ? { env: { CLOCK_STEP_MS: String(clockStepMs) }, options: { adjustableClock: true } } : { env: {}, options: {} };
  const [nodeA, nodeB] = await Promise.all([startGatewayProcess(config, { ...env, ...clock.env }, clock.options), startGatewayProcess(config, { ...env, ...clock.env }, clock.options)]);
  return { redis, backends, logistics, nodeA, nodeB };
}

describe.skipIf(!redisServer)('a cache shared through redis by two gateway processes', () => {
  // Made in beforeAll, not with `using` in this callback: describe's body ends before any test runs.
  let dir: ReturnType<typeof tempDir>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let backends: DemoBackend[];
  let logistics: Awaited<ReturnType<typeof startBackendProcess>>;
  let nodeA: Awaited<ReturnType<typeof startGatewayProcess>>;
  let nodeB: Awaited<ReturnType<typeof startGatewayProcess>>;

  beforeAll(async () => {
    dir = tempDir();
    ({ redis, backends, logistics, nodeA, nodeB } = await startCluster(dir, { staleIfError: 3600 }));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([nodeA?.kill(), nodeB?.kill(), logistics?.kill(), redis?.kill(), ...(backends ?? []).map((b) => b.close())]);
    dir?.[Symbol.dispose]();
  });

  it('node B serves stale what node A cached when the backend is down', async () => {
    expect((await post(nodeA.url, SEED_QUERY)).body).toEqual({ data: SEED_RESULT });
    await logistics.kill();
    const { status, body } = await post(nodeB.url, SEED_QUERY);
    expect(status).toBe(200);
    expect(body.data).toEqual(SEED_RESULT);
    expect(body.extensions!['stale']).toEqual([expect.objectContaining({ source: 'logistics', path: ['order', 'shipment'] })]);
  });

  it('both nodes keep answering after redis dies, without cache', async () => {
    await redis.kill();
    for (const node of [nodeA, nodeB]) {
      const { status, body } = await post(node.url, SEED_QUERY);
      expect(status).toBe(200);
      const order = body.data!['order'] as Record<string, unknown>;
      expect(order['id']).toBe('1');
      expect(order['products']).toEqual(SEED_RESULT.order.products);
      // Logistics is down and the shared stale copy went with redis: the one field is unavailable.
      expect(order['shipment']).toBeNull();
      expect(body.errors![0]!.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'logistics' });
    }
  });

  it('both reconnect by themselves when redis comes back, and share entries again', async () => {
    redis = await startRedis(redisServer!, redis.port);
    logistics = await startBackendProcess('logistics', Number(new URL(logistics.url).port));
    const query = SEED_QUERY.replace('"1"', '"3"');
    // The client reconnects in the background; keep asking node A until its answer lands in redis.
    let stored = false;
    for (let attempt = 0; attempt < 50 && !stored; attempt++) {
      await post(nodeA.url, query);
      stored = (await redisKeys(redis.port)).some((key) => key.includes('logistics:shipmentsByOrders'));
      if (!stored) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stored).toBe(true);
    await logistics.kill();
    // Node B reconnects on its own schedule: ask until it reads the shared entry (bounded: 5 s).
    let body: GraphqlBody = {};
    for (let attempt = 0; attempt < 50; attempt++) {
      body = (await post(nodeB.url, query)).body;
      if (!body.errors) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(body.errors).toBeUndefined();
    expect(body.extensions!['stale']).toEqual([expect.objectContaining({ source: 'logistics' })]);
  });
});

describe.skipIf(!redisServer)('stale-while-revalidate across two gateway processes', () => {
  let dir: ReturnType<typeof tempDir>;
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  beforeAll(async () => {
    dir = tempDir();
    // Inventory takes 300 ms, so every request below arrives while the refresh is still running: without the
    // lock, each node would start one.
    // The nodes' clocks move 2.1 s at a time on request, past the 2 s ttl, instead of the test sleeping through it.
    cluster = await startCluster(dir, { ttl: 2, staleWhileRevalidate: 600 }, 300, 2_100);
  }, 60_000);
  afterAll(async () => {
    if (cluster) await Promise.all([cluster.nodeA.kill(), cluster.nodeB.kill(), cluster.logistics.kill(), cluster.redis.kill(), ...cluster.backends.map((b) => b.close())]);
    dir?.[Symbol.dispose]();
  });

  it('serves the entry at once on both nodes and refreshes it once, through a Redis lock', async () => {
    const inventory = cluster.backends[0]!;
    expect((await post(cluster.nodeA.url, SEED_QUERY)).body).toEqual({ data: SEED_RESULT });
    expect(inventory.stats.byOperation).toEqual({ productsByIds: 1 });
    // Past the 2 s ttl, inside the revalidation window, on both nodes.
    await Promise.all([cluster.nodeA.advanceClock(), cluster.nodeB.advanceClock()]);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i % 2 === 0 ? cluster.nodeA.url : cluster.nodeB.url, SEED_QUERY)));
    // Every answer is complete and stale: served at once, without waiting for inventory.
    for (const answer of answers) expect(answer.body.data).toEqual(SEED_RESULT);
    for (const answer of answers) expect(answer.body.extensions!['stale']).toEqual(expect.arrayContaining([expect.objectContaining({ source: 'inventory' })]));
    // The refresh lands in Redis; from then on both nodes answer fresh.
    let fresh = false;
    for (let attempt = 0; attempt < 50 && !fresh; attempt++) {
      fresh = (await post(cluster.nodeB.url, SEED_QUERY)).body.extensions === undefined;
      if (!fresh) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(fresh).toBe(true);
    expect(inventory.stats.byOperation).toEqual({ productsByIds: 2 });
  });
});
