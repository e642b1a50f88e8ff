import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/listen.js';
import { SEED_QUERY, SEED_RESULT, type GraphqlBody } from '../helpers/demo-gateway.js';
import { startWithLogisticsApart, type LogisticsApart } from '../helpers/logistics-apart.js';

/**
 * Logistics runs in its own process so it can be killed or frozen for real; the other backends and the
 * gateway run in this one.
 */
async function post(url: string, query: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphqlBody };
}

/** Established TCP connections from this process to `port`, from the kernel's own table. */
function connectionsTo(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const lines = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1);
  return lines.filter((line) => {
    const fields = line.trim().split(/\s+/);
    return fields[2]?.endsWith(`:${hexPort}`) && fields[3] === '01';
  }).length;
}

describe('stale serving when a backend process dies', () => {
  let demo: LogisticsApart;
  let logistics: LogisticsApart['logistics'];
  let server: RunningServer;
  beforeAll(async () => {
    demo = await startWithLogisticsApart();
    ({ logistics, server } = demo);
  });
  afterAll(async () => {
    await demo?.[Symbol.asyncDispose]();
  });

  it('serves the last good shipment marked stale, with HTTP 200 and a Cache-Status header', async () => {
    const warm = await post(server.url, SEED_QUERY);
    expect(warm.body).toEqual({ data: SEED_RESULT });
    await logistics.kill('SIGKILL');

    const { status, headers, body } = await post(server.url, SEED_QUERY);
    expect(status).toBe(200);
    expect(body.data).toEqual(SEED_RESULT);
    expect(body.errors).toBeUndefined();
    const stale = body.extensions!['stale'] as { source: string; path: string[]; age: number }[];
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({ source: 'logistics', path: ['order', 'shipment'] });
    expect(stale[0]!.age).toBeGreaterThanOrEqual(0);
    expect(stale[0]!.age).toBeLessThan(30);
    expect(headers.get('cache-status')).toContain('interchange-logistics; hit; detail=stale');
  });

  it('answers a field that was never cached with null and SOURCE_UNAVAILABLE, the rest intact', async () => {
    const { status, body } = await post(server.url, SEED_QUERY.replace('"1"', '"7"'));
    expect(status).toBe(200);
    const order = body.data!['order'] as Record<string, unknown>;
    expect(order['id']).toBe('7');
    expect(order['shipment']).toBeNull();
    expect((order['products'] as unknown[]).length).toBeGreaterThan(0);
    expect(body.errors).toEqual([expect.objectContaining({ path: ['order', 'shipment'], extensions: expect.objectContaining({ code: 'SOURCE_UNAVAILABLE', source: 'logistics' }) })]);
    expect(body.extensions?.['stale']).toBeUndefined();
  });
});

describe('a frozen backend (SIGSTOP)', () => {
  let demo: LogisticsApart;
  let logistics: LogisticsApart['logistics'];
  let server: RunningServer;
  const timeoutMs = 400;
  const maxConnections = 4;
  beforeAll(async () => {
    demo = await startWithLogisticsApart((raw) => {
      const sources = raw['sources'] as Record<string, unknown>[];
      Object.assign(sources.find((s) => s['name'] === 'logistics')!, { timeoutMs, maxConnections });
    });
    ({ logistics, server } = demo);
  });
  afterAll(async () => {
    await demo?.[Symbol.asyncDispose]();
  });

  it('answers at the timeout with stale data, or SOURCE_TIMEOUT where nothing is cached, within the pool limit', async () => {
    expect((await post(server.url, SEED_QUERY)).body).toEqual({ data: SEED_RESULT });
    logistics.child.kill('SIGSTOP');

    const started = performance.now();
    const { status, body } = await post(server.url, SEED_QUERY);
    const elapsed = performance.now() - started;
    expect(status).toBe(200);
    expect(body.data).toEqual(SEED_RESULT);
    expect(body.extensions!['stale']).toEqual([expect.objectContaining({ source: 'logistics', path: ['order', 'shipment'] })]);
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 5);

    // 20 different orders, none cached: each gets SOURCE_TIMEOUT on its shipment, none hangs, and while they
    // wait the gateway holds at most maxConnections sockets to the frozen backend.
    const port = Number(new URL(logistics.url).port);
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, connectionsTo(port))), 10);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(server.url, SEED_QUERY.replace('"1"', `"${i + 20}"`)))).finally(() => clearInterval(sampler));
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect((answer.body.data!['order'] as Record<string, unknown>)['shipment']).toBeNull();
      expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'logistics' });
    }
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(maxConnections);
  });
});
