import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { startGatewayProcess } from '../helpers/processes.js';
import { startRedis } from '../helpers/redis.js';
import { findSystemBinary } from '../helpers/system-deps.js';
import { tempDir } from '../helpers/temp-dir.js';

const redisServer = findSystemBinary('redis-server', 'redis-server');
const SPEC = join(import.meta.dirname, '..', 'fixtures', 'whoami.openapi.yaml');

async function post(url: string) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { user } }' }) });
  return { status: response.status, remaining: response.headers.get('ratelimit-remaining'), retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { errors?: { extensions?: Record<string, unknown> }[] } };
}

/** One budget per IP, held in a real redis-server and shared by two gateway processes. */
describe.skipIf(!redisServer)('rate limits shared through redis by two gateway processes', () => {
  let dir: ReturnType<typeof tempDir>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let backend: Server;
  let nodeA: Awaited<ReturnType<typeof startGatewayProcess>>;
  let nodeB: Awaited<ReturnType<typeof startGatewayProcess>>;

  beforeAll(async () => {
    dir = tempDir();
    redis = await startRedis(redisServer!);
    backend = createServer((_req, res) => res.setHeader('content-type', 'application/json').end('{"user":"anonymous"}'));
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const config = dir.write(
      'interchange.yaml',
      toYaml({
        sources: [{ name: 'profile', kind: 'openapi', spec: SPEC, endpoints: [`http://127.0.0.1:${(backend.address() as AddressInfo).port}`] }],
        rateLimits: [{ by: 'ip', points: 3, windowSeconds: 600 }],
        rateLimitStore: redis.url,
        abuse: { enabled: false },
      }),
    );
    [nodeA, nodeB] = await Promise.all([startGatewayProcess(config), startGatewayProcess(config)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([nodeA?.kill(), nodeB?.kill(), redis?.kill()]);
    backend?.close();
    dir?.[Symbol.dispose]();
  });

  it('counts requests to either node against one budget: the fourth is refused, whichever node gets it', async () => {
    expect(await post(nodeA.url)).toMatchObject({ status: 200, remaining: '2' });
    expect(await post(nodeB.url)).toMatchObject({ status: 200, remaining: '1' });
    expect(await post(nodeA.url)).toMatchObject({ status: 200, remaining: '0' });
    const refused = await post(nodeB.url);
    expect(refused.status).toBe(429);
    expect(refused.remaining).toBe('0');
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', rule: { by: 'ip', points: 3, windowSeconds: 600 } });
    expect((await post(nodeA.url)).status).toBe(429);
  });
});

/** A POST on a new connection each time, so the workers of `serve --workers N` take turns answering. */
function postOnNewConnection(url: string): Promise<{ status: number; worker: string | undefined }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query: '{ me { user } }' });
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, worker: res.headers['x-interchange-worker'] as string | undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A rate-limit store that cannot be reached at start: node-redis's connect() never settles while it keeps
 * retrying, which held the gateway's start for good. The gateway must start and count in memory meanwhile, and
 * with workers that memory is the primary's, so the budget stays one.
 */
describe('rate limits whose redis store is unreachable at start', () => {
  let dir: ReturnType<typeof tempDir>;
  let backend: Server;
  let config: string;

  beforeAll(async () => {
    dir = tempDir();
    backend = createServer((_req, res) => res.setHeader('content-type', 'application/json').end('{"user":"anonymous"}'));
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    // A port nothing listens on: taken, then freed.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    config = dir.write(
      'interchange.yaml',
      toYaml({
        sources: [{ name: 'profile', kind: 'openapi', spec: SPEC, endpoints: [`http://127.0.0.1:${(backend.address() as AddressInfo).port}`] }],
        rateLimits: [{ by: 'ip', points: 3, windowSeconds: 600 }],
        rateLimitStore: `redis://127.0.0.1:${deadPort}`,
        abuse: { enabled: false },
      }),
    );
  });

  afterAll(() => {
    backend?.close();
    dir?.[Symbol.dispose]();
  });

  it('starts, says the store is unreachable, and counts in memory: the fourth request is refused', async () => {
    const node = await startGatewayProcess(config);
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await postOnNewConnection(node.url)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(node.output()).toContain('the rate-limit store is unreachable; counting in memory until it is back');
    } finally {
      await node.kill();
    }
  }, 60_000);

  it('with two workers, counts in the primary meanwhile: one budget of 3 for both', async () => {
    const node = await startGatewayProcess(config, {}, { workers: 2 });
    try {
      const answers = [];
      for (let i = 0; i < 8; i++) answers.push(await postOnNewConnection(node.url));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
      expect(new Set(answers.map((a) => a.worker))).toEqual(new Set(['1', '2']));
    } finally {
      await node.kill();
    }
  }, 60_000);
});
