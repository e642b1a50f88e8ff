import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig, type GatewayConfig } from '../../src/config/load.js';
import { startInventory, type DemoBackend } from '../../src/demo/index.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { convertProto } from '../../src/sources/grpc/convert-proto.js';
import { createGrpcTransport } from '../../src/sources/grpc/create-grpc-transport.js';
import { ORDERS_INCLUDE_DIRS, ORDERS_PROTO } from '../fixtures/grpc/start-orders-backend.js';
import type { GraphqlBody } from '../helpers/demo-gateway.js';

const SPEC = join(import.meta.dirname, '..', '..', 'schemas', 'inventory.openapi.yaml');
const CONFIG_FILE = join(import.meta.dirname, '..', 'fixtures', 'interchange.yaml');

async function query(gateway: Gateway, text: string, headers: Record<string, string> = {}): Promise<GraphqlBody> {
  const response = await gateway.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: text }),
  });
  return (await response.json()) as GraphqlBody;
}

function inventoryConfig(source: Record<string, unknown>): GatewayConfig {
  return validateConfig({ sources: [{ name: 'inventory', kind: 'openapi', spec: SPEC, ...source }] }, CONFIG_FILE);
}

describe('canary and routed traffic, counted at the backends', () => {
  let backends: DemoBackend[];
  let gateway: Gateway;
  const calls = () => backends.map((b) => b.stats.calls);
  const reset = () => backends.forEach((b) => b.stats.reset());
  const config = (groups: Record<string, number>) =>
    inventoryConfig({
      endpoints: [
        { url: backends[0]!.url, group: 'stable' },
        { url: backends[1]!.url, group: 'stable' },
        { url: backends[2]!.url, group: 'canary' },
      ],
      groups,
      route: [{ header: 'x-canary', equals: '1', group: 'canary' }],
    });

  beforeAll(async () => {
    backends = await Promise.all([startInventory(), startInventory(), startInventory()]);
    gateway = await createGateway(config({ stable: 80, canary: 20 }));
  });
  afterAll(async () => {
    await gateway?.[Symbol.asyncDispose]();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  it('sends each group its weight of the calls, pins requests by header, and takes new weights on reload', async () => {
    for (let i = 0; i < 100; i++) expect((await query(gateway, `{ product(id: "p${(i % 10) + 1}") { id } }`)).errors).toBeUndefined();
    const [s1, s2, canary] = calls();
    expect(s1! + s2!).toBe(80);
    expect(canary).toBe(20);
    expect(Math.abs(s1! - s2!)).toBeLessThanOrEqual(1);

    reset();
    for (let i = 0; i < 10; i++) await query(gateway, '{ product(id: "p1") { id } }', { 'X-Canary': '1' });
    expect(calls()).toEqual([0, 0, 10]);

    reset();
    await gateway.reload(config({ stable: 50, canary: 50 }));
    for (let i = 0; i < 100; i++) await query(gateway, `{ product(id: "p${(i % 10) + 1}") { id } }`);
    const [t1, t2, t3] = calls();
    expect(t1! + t2!).toBe(50);
    expect(t3).toBe(50);
  });
});

describe('active health checks', () => {
  it('takes an HTTP replica whose /healthz fails out of rotation, and back when it passes', async () => {
    const inventory = await startInventory();
    let healthy = false;
    let served = 0;
    // A second replica: a proxy to the same backend whose health check answers as told.
    const proxy = createServer(async (request, response) => {
      if (request.url === '/healthz') return void response.writeHead(healthy ? 200 : 503).end();
      served++;
      const upstream = await fetch(`${inventory.url}${request.url}`);
      response.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    await using gateway = await createGateway(
      inventoryConfig({ endpoints: [inventory.url, proxyUrl], balance: 'round-robin', health: { active: { path: '/healthz', intervalMs: 100, unhealthyAfter: 1, healthyAfter: 1 } } }),
    );
    try {
      const condition = () => gateway.current.sources.get('inventory')!.resilience().replicas[1]!.condition;
      for (let i = 0; i < 200 && condition() !== 'unhealthy'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(condition()).toBe('unhealthy');
      for (let i = 0; i < 10; i++) await query(gateway, '{ product(id: "p1") { id } }');
      expect(served).toBe(0);
      healthy = true;
      for (let i = 0; i < 200 && condition() !== 'up'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      for (let i = 0; i < 10; i++) await query(gateway, '{ product(id: "p1") { id } }');
      expect(served).toBe(5);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await inventory.close();
    }
  });

  it('asks a gRPC replica grpc.health.v1.Health/Check and wants SERVING', async () => {
    const definition = protoLoader.loadSync(join(import.meta.dirname, '..', 'fixtures', 'grpc', 'health.proto'), { enums: String, defaults: true });
    const health = grpc.loadPackageDefinition(definition) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
    const statuses: Record<string, string> = { '': 'SERVING', 'warehouse.Orders': 'NOT_SERVING' };
    const asked: string[] = [];
    const server = new grpc.Server();
    server.addService(health.grpc.health.v1.Health.service, {
      Check(call: grpc.ServerUnaryCall<{ service: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
        asked.push(call.request.service);
        const status = statuses[call.request.service];
        if (status === undefined) return callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
        callback(null, { status });
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const converted = await convertProto({ name: 'orders', protoFile: ORDERS_PROTO, includeDirs: ORDERS_INCLUDE_DIRS });
    await using transport = createGrpcTransport(converted);
    const endpoint = `127.0.0.1:${port}`;
    try {
      const check = (service: string) => transport.checkHealth!(endpoint, { service }, AbortSignal.timeout(2_000));
      await expect(check('')).resolves.toBeUndefined();
      await expect(check('warehouse.Orders')).rejects.toMatchObject({ name: 'TransportError', failure: 'unavailable' });
      await expect(check('nope')).rejects.toMatchObject({ name: 'TransportError', failure: 'rejected' });
      expect(asked).toEqual(['', 'warehouse.Orders', 'nope']);
    } finally {
      server.forceShutdown();
    }
  });
});
