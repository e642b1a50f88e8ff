import { credentials } from '@grpc/grpc-js';
import { buildSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { validateConfig } from '../../src/config/load.js';
import { SpecInvalidError } from '../../src/errors.js';
import { loadSource } from '../../src/gateway/load-sources.js';
import { convertProto, convertReflectedServices, createGrpcTransport, loadReflectedServices } from '../../src/sources/grpc/index.js';
import { ORDERS_INCLUDE_DIRS, ORDERS_PROTO, startOrdersBackend } from '../fixtures/grpc/start-orders-backend.js';

describe('gRPC reflection', () => {
  it.each([
    ['v1-and-v1alpha', 'v1'],
    ['v1alpha-only', 'v1alpha'],
  ] as const)('loads the services of a server with %s reflection (answered by %s)', async (reflection, version) => {
    await using backend = await startOrdersBackend({ reflection });
    const loaded = await loadReflectedServices({ endpoint: backend.endpoint, credentials: credentials.createInsecure() });
    expect(loaded.version).toBe(version);
    expect(loaded.services.map((service) => service.fullName)).toEqual(['.orders.v1.OrderService', '.orders.v1.AuditService']);
  });

  it('converts to the same schema and operations as the .proto file, and calls through them', async () => {
    await using backend = await startOrdersBackend({ reflection: 'v1-and-v1alpha' });
    const fromFile = await convertProto({ name: 'orders', protoFile: ORDERS_PROTO, includeDirs: ORDERS_INCLUDE_DIRS });
    const reflected = await convertReflectedServices({ name: 'orders', endpoint: backend.endpoint, credentials: credentials.createInsecure() });
    // Descriptors carry no comments, so descriptions are the only difference.
    const withoutDescriptions = (sdl: string) =>
      printSchema(buildSchema(sdl))
        .replace(/\s*"""[\s\S]*?"""/g, '')
        .replace(/\n\s*"[^"\n]*"/g, '')
        .replace(/\n{2,}/g, '\n');
    expect(withoutDescriptions(reflected.typeDefs)).toBe(withoutDescriptions(fromFile.typeDefs));
    expect([...reflected.operations.keys()]).toEqual([...fromFile.operations.keys()]);
    expect(reflected.notes.map((note) => note.pointer)).toEqual(fromFile.notes.map((note) => note.pointer));

    await using transport = createGrpcTransport(reflected);
    const order = await transport.call(backend.endpoint, reflected.operations.get('Query.orderServiceGetOrder')!, { id: 'o-9' }, { signal: new AbortController().signal, headers: {} });
    expect(order).toMatchObject({ id: 'o-9', customerId: 'c-100', createdAt: '2026-01-01T00:00:00.123Z', attributes: { gift: true }, voucherCode: 'WELCOME' });
  });

  it('fails with SpecInvalidError naming the endpoint when the server has no reflection service', async () => {
    await using backend = await startOrdersBackend();
    const error: unknown = await convertReflectedServices({ name: 'orders', endpoint: backend.endpoint, credentials: credentials.createInsecure() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SpecInvalidError);
    expect((error as SpecInvalidError).problems).toEqual([
      { file: `reflection at ${backend.endpoint}`, at: 'grpc.reflection.v1alpha', message: expect.stringContaining('UNIMPLEMENTED') },
    ]);
  });

  it('loads a configured grpc source without proto from the first endpoint by reflection', async () => {
    await using backend = await startOrdersBackend({ reflection: 'v1alpha-only' });
    const config = validateConfig({ sources: [{ name: 'orders', kind: 'grpc', endpoints: [backend.endpoint], rename: { OrdersV1Order: 'Order' } }] }, path.resolve('interchange.yaml'));
    const loaded = await loadSource(config.sources[0]!);
    expect([...loaded.converted.operations.keys()]).toContain('Subscription.watchOrders');
    expect(buildSchema(loaded.converted.typeDefs).getType('Order')).toBeDefined();
  });
});
