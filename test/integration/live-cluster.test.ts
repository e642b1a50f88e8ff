import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEnv } from '../../src/cli/demo.js';
import { startDemoBackends, type DemoBackends } from '../../src/demo/index.js';
import { startGraphqlRemote, type GraphqlRemote } from '../helpers/graphql-remote.js';
import { admin, demoConfigYaml, eventually } from '../helpers/live.js';
import { postQuery } from '../helpers/load.js';
import { startGatewayProcess } from '../helpers/processes.js';
import { redisKeys, startRedis } from '../helpers/redis.js';
import { findSystemBinary } from '../helpers/system-deps.js';
import { tempDir } from '../helpers/temp-dir.js';

const redisServer = findSystemBinary('redis-server', 'redis-server');

type Node = Awaited<ReturnType<typeof startGatewayProcess>>;
const originOf = (node: Node) => node.url.replace(/\/graphql$/, '');

describe.skipIf(!redisServer)('gateway nodes kept in step through redis', () => {
  let dir: ReturnType<typeof tempDir>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let backends: DemoBackends;
  let remote: GraphqlRemote;
  let file: string;
  const nodes: Node[] = [];

  beforeAll(async () => {
    dir = tempDir();
    redis = await startRedis(redisServer!);
    backends = await startDemoBackends();
    remote = await startGraphqlRemote({ typeDefs: 'type Query { greeting: String }', resolvers: { Query: { greeting: () => 'hello from the cluster' } } });
    file = dir.write('interchange.yaml', demoConfigYaml((raw) => (raw['cluster'] = { redis: redis.url, heartbeatMs: 200 })));
    nodes.push(...(await Promise.all([startGatewayProcess(file, demoEnv(backends)), startGatewayProcess(file, demoEnv(backends))])));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    await redis?.kill();
    await remote?.close();
    await backends?.close();
    dir?.[Symbol.dispose]();
  });

  const greeting = async (node: Node) => (await postQuery(node.url, '{ greeting }')).body.data?.['greeting'];

  it('serves a source registered on node A from node B within a second', async () => {
    const [nodeA, nodeB] = nodes as [Node, Node];
    expect((await postQuery(nodeB.url, '{ greeting }')).body.errors?.[0]?.message).toContain('Cannot query field "greeting"');
    const put = await admin(originOf(nodeA), 'PUT', 'sources/greeter', { kind: 'graphql', endpoints: [remote.url] });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(await greeting(nodeA)).toBe('hello from the cluster');
    // Announced over pub/sub: node B builds the same version. 40 polls 25 ms apart bound it to about a second.
    await eventually('node B serving the new source', async () => (await greeting(nodeB)) === 'hello from the cluster', 40);
    // The introspected schema is kept in redis too, for nodes that start while the backend is down.
    const keys = await redisKeys(redis.port);
    expect(keys).toEqual(expect.arrayContaining(['interchange:cluster:config', 'interchange:cluster:nodes', 'interchange:snapshot:greeter']));
  });

  it('gives a node started later the current version, and lists all three nodes with their version', async () => {
    const nodeC = await startGatewayProcess(file, demoEnv(backends));
    nodes.push(nodeC);
    // Loaded from redis at start: no announcement needed.
    expect(await greeting(nodeC)).toBe('hello from the cluster');
    const version = (await admin(originOf(nodeC), 'GET', 'status')).body['live'] as { version: number };
    let listed: { id: string; address: string; version: number; health: string; stale: boolean }[] = [];
    await eventually('three nodes heartbeating', async () => {
      const cluster = await admin(originOf(nodes[0]!), 'GET', 'cluster');
      listed = cluster.body['nodes'] as typeof listed;
      return listed.length === 3;
    });
    expect(listed.map((n) => n.address).sort()).toEqual(nodes.map(originOf).sort());
    expect(listed.every((n) => n.version === version.version && n.health === 'ready' && !n.stale)).toBe(true);
    expect((await admin(originOf(nodeC), 'GET', 'cluster')).body['mode']).toBe('connected');
  });

  it('keeps serving its version without redis, says so, and refuses API changes it could not share', async () => {
    await redis.kill();
    const [nodeA] = nodes as [Node];
    await eventually('node A noticing', async () => (await admin(originOf(nodeA), 'GET', 'cluster')).body['mode'] === 'unreachable');
    expect(await greeting(nodeA)).toBe('hello from the cluster');
    const put = await admin(originOf(nodeA), 'PUT', 'sources/other', { kind: 'graphql', endpoints: [remote.url] });
    expect(put.status).toBe(503);
    expect(String(put.body['message'])).toContain('cluster Redis cannot be reached');
    expect((await admin(originOf(nodeA), 'GET', 'status')).body['live']).toMatchObject({ cluster: { mode: 'unreachable' } });
  });
});
