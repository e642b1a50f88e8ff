import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertProto, createGrpcTransport, type GrpcOperation } from '../../src/sources/grpc/index.js';
import { TransportError, type ConvertedSource, type TransportCall } from '../../src/sources/types.js';
import { once } from 'node:events';
import { FINITE_WATCH, ORDERS_INCLUDE_DIRS, ORDERS_PROTO, startOrdersBackend, type OrdersBackend } from '../fixtures/grpc/start-orders-backend.js';

let source: ConvertedSource<GrpcOperation>;
let backend: OrdersBackend;

beforeAll(async () => {
  source = await convertProto({ name: 'orders', protoFile: ORDERS_PROTO, includeDirs: ORDERS_INCLUDE_DIRS, rename: { OrdersV1Order: 'Order' } });
  backend = await startOrdersBackend();
});

afterAll(async () => {
  await backend[Symbol.asyncDispose]();
});

function operation(key: string): GrpcOperation {
  const found = source.operations.get(key);
  if (found === undefined) throw new Error(`no operation ${key}`);
  return found;
}

function callOptions(overrides: Partial<TransportCall> = {}): TransportCall {
  return { signal: new AbortController().signal, headers: {}, ...overrides };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

async function closedPortEndpoint(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

describe('grpc transport', () => {
  it('round-trips a unary call, shaping the reply for the SDL', async () => {
    await using transport = createGrpcTransport(source);
    const order = await transport.call(backend.endpoint, operation('Query.orderServiceGetOrder'), { id: 'o-1' }, callOptions());
    expect(order).toMatchObject({
      id: 'o-1',
      customerId: 'c-100',
      status: 'SHIPPED',
      lines: [{ sku: 'PJ-001', quantity: 2, price: { currencyCode: 'EUR', units: '349', nanos: 990_000_000 } }],
      totalCents: '9007199254740993',
      createdAt: '2026-01-01T00:00:00.123Z',
      note: 'leave at the door',
      labels: { channel: 'web' },
      voucherCode: 'WELCOME',
      attributes: { gift: true, tags: ['a', null] },
      signature: 'AQID',
      weightKg: 1.5,
      gift: true,
      tags: ['fragile'],
      version: '18446744073709551615',
      priorityRank: null,
      invoice: { invoiceId: 'inv-1', total: { currencyCode: 'EUR', units: '700', nanos: 0 } },
      updatedAt: ['1970-01-01T00:00:00.000000001Z'],
      priority: 'PRIORITY_EXPRESS',
      archived: true,
    });
    expect(order).not.toHaveProperty('cardToken');
  });

  it('encodes GraphQL arguments: input objects, enums, int64, Timestamp, wrappers, maps, Struct, bytes, oneof', async () => {
    await using transport = createGrpcTransport(source);
    const args = {
      customerId: 'c-7',
      lines: [{ sku: 'BS-002', quantity: 3, price: { currencyCode: 'EUR', units: '89', nanos: 500_000_000 } }],
      deliverAfter: '2026-03-01T10:00:00.5+01:00',
      note: 'ring twice',
      labels: { channel: 'app' },
      priority: 'PRIORITY_STANDARD',
      attributes: { gift: false, wrap: { color: 'red' }, n: 2 },
      cardToken: 'tok-1',
      totalCents: '9007199254740993',
      signature: 'AQID',
    };
    const order = await transport.call(backend.endpoint, operation('Mutation.createOrder'), args, callOptions());
    expect(backend.requests.at(-1)).toMatchObject({
      customerId: 'c-7',
      deliverAfter: { seconds: '1772355600', nanos: 500_000_000 },
      note: { value: 'ring twice' },
      priority: 'PRIORITY_STANDARD',
      totalCents: '9007199254740993',
      payment: 'cardToken',
    });
    const { deliverAfter: _sentAsCreatedAt, ...echoed } = args;
    expect(order).toMatchObject({
      ...echoed,
      id: 'o-new',
      status: 'PENDING',
      createdAt: '2026-03-01T09:00:00.500Z',
    });
  });

  it('answers true for an Empty reply', async () => {
    await using transport = createGrpcTransport(source);
    await expect(transport.call(backend.endpoint, operation('Mutation.cancelOrder'), { id: 'o-1' }, callOptions())).resolves.toBe(true);
    await expect(transport.call(backend.endpoint, operation('Mutation.ping'), {}, callOptions())).resolves.toBe(true);
  });

  it('sends static metadata and forwarded headers; static metadata wins', async () => {
    await using transport = createGrpcTransport(source, { metadata: { 'x-api-key': 'secret', 'x-tenant': 'static' } });
    const headers = { authorization: 'Bearer abc', 'x-tenant': 'forwarded' };
    await transport.call(backend.endpoint, operation('Query.orderServiceGetOrder'), { id: 'o-1' }, callOptions({ headers }));
    const received = backend.metadata.at(-1);
    expect(received?.get('authorization')).toEqual(['Bearer abc']);
    expect(received?.get('x-api-key')).toEqual(['secret']);
    expect(received?.get('x-tenant')).toEqual(['static']);
  });

  it.each([
    ['NOT_FOUND', 5, 'rejected'],
    ['INVALID_ARGUMENT', 3, 'rejected'],
    ['PERMISSION_DENIED', 7, 'rejected'],
    ['UNAUTHENTICATED', 16, 'rejected'],
    ['ALREADY_EXISTS', 6, 'rejected'],
    ['FAILED_PRECONDITION', 9, 'rejected'],
    ['RESOURCE_EXHAUSTED', 8, 'rejected'],
    ['UNAVAILABLE', 14, 'unavailable'],
    ['DEADLINE_EXCEEDED', 4, 'timeout'],
    ['INTERNAL', 13, 'bad-response'],
    ['UNKNOWN', 2, 'bad-response'],
    ['DATA_LOSS', 15, 'bad-response'],
    ['UNIMPLEMENTED', 12, 'bad-response'],
  ])('maps %s to a %s TransportError', async (grpcStatus, grpcCode, failure) => {
    await using transport = createGrpcTransport(source);
    const error = await rejection(transport.call(backend.endpoint, operation('Query.orderServiceGetOrder'), { id: `status:${grpcStatus}` }, callOptions()));
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ failure: String(failure), details: { grpcStatus, grpcCode } });
    expect((error as TransportError).message).toContain(`order status:${grpcStatus} failed on purpose`);
  });

  it('reports a closed port as unavailable', async () => {
    await using transport = createGrpcTransport(source);
    const error = await rejection(transport.call(await closedPortEndpoint(), operation('Mutation.ping'), {}, callOptions()));
    expect(error).toMatchObject({ name: 'TransportError', failure: 'unavailable', details: { grpcStatus: 'UNAVAILABLE', grpcCode: 14 } });
  });

  it('cancels the call when the signal aborts, rethrowing the reason', async () => {
    await using transport = createGrpcTransport(source);
    const controller = new AbortController();
    const pending = rejection(transport.call(backend.endpoint, operation('Query.orderServiceGetOrder'), { id: 'hang' }, callOptions({ signal: controller.signal })));
    await backend.hangingCallArrived;
    const reason = new Error('client went away');
    controller.abort(reason);
    await expect(pending).resolves.toBe(reason);
    await backend.hangingCallCancelled;
  });

  it('turns an abort for a timeout into a timeout TransportError', async () => {
    await using transport = createGrpcTransport(source);
    const controller = new AbortController();
    controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    const error = await rejection(transport.call(backend.endpoint, operation('Mutation.ping'), {}, callOptions({ signal: controller.signal })));
    expect(error).toMatchObject({ name: 'TransportError', failure: 'timeout' });
  });

  it('rejects arguments it cannot encode without calling the backend', async () => {
    await using transport = createGrpcTransport(source);
    const calls = backend.requests.length;
    const error = await rejection(transport.call(backend.endpoint, operation('Mutation.createOrder'), { deliverAfter: 'tomorrow' }, callOptions()));
    expect(error).toMatchObject({ name: 'TransportError', failure: 'rejected', message: expect.stringContaining('RFC 3339') });
    expect(backend.requests.length).toBe(calls);
  });

  it('rejects a oneof with two members set, naming them, without calling the backend', async () => {
    await using transport = createGrpcTransport(source);
    const calls = backend.requests.length;
    const error = await rejection(transport.call(backend.endpoint, operation('Mutation.createOrder'), { customerId: 'c', cardToken: 'tok', voucherCode: 'V1' }, callOptions()));
    expect(error).toMatchObject({ name: 'TransportError', failure: 'rejected', message: expect.stringMatching(/payment: set only one of cardToken, voucherCode \(got cardToken, voucherCode\)/) });
    expect(backend.requests.length).toBe(calls);
    // One member, or none (proto3 lets a oneof be unset), is fine.
    await transport.call(backend.endpoint, operation('Mutation.createOrder'), { customerId: 'c', voucherCode: 'V1' }, callOptions());
    await transport.call(backend.endpoint, operation('Mutation.createOrder'), { customerId: 'c' }, callOptions());
  });

  it('spreads calls over `channels` separate connections per endpoint', async () => {
    await using transport = createGrpcTransport(source, { channels: 3 });
    const before = backend.peers.length;
    for (let i = 0; i < 6; i++) await transport.call(backend.endpoint, operation('Query.orderServiceGetOrder'), { id: 'o-1' }, callOptions());
    expect(new Set(backend.peers.slice(before)).size).toBe(3);
  });

  it('refuses calls once disposed', async () => {
    const transport = createGrpcTransport(source);
    await transport.call(backend.endpoint, operation('Mutation.ping'), {}, callOptions());
    await transport[Symbol.asyncDispose]();
    const error = await rejection(transport.call(backend.endpoint, operation('Mutation.ping'), {}, callOptions()));
    expect(error).toMatchObject({ name: 'TransportError', failure: 'unavailable' });
  });

  it('streams a server-streaming method to the end, shaping each message', async () => {
    await using transport = createGrpcTransport(source);
    const ids: unknown[] = [];
    for await (const order of transport.subscribe!(backend.endpoint, operation('Subscription.watchOrders'), { customerId: FINITE_WATCH }, callOptions())) {
      expect(order).toMatchObject({ createdAt: '2026-01-01T00:00:00.123Z', labels: { channel: 'web' } });
      ids.push((order as { id: string }).id);
    }
    expect(ids).toEqual(['w-1', 'w-2', 'w-3']);
  });

  it('cancels the gRPC call when the consumer returns, even while a message is awaited', async () => {
    await using transport = createGrpcTransport(source);
    const arrived = once(backend.events, 'arrived');
    const stream = transport.subscribe!(backend.endpoint, operation('Subscription.watchOrders'), { customerId: 'c-open' }, callOptions())[Symbol.asyncIterator]();
    await arrived;
    expect(await stream.next()).toMatchObject({ done: false, value: { id: 'w-1' } });
    expect(await stream.next()).toMatchObject({ done: false, value: { id: 'w-2' } });
    const pending = stream.next();
    const cancelled = once(backend.events, 'cancelled');
    await stream.return?.();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(await cancelled).toEqual(['WatchOrders']);
  });

  it('cancels the gRPC call when the signal aborts, ending the stream quietly', async () => {
    await using transport = createGrpcTransport(source);
    const controller = new AbortController();
    const cancelled = once(backend.events, 'cancelled');
    const received: unknown[] = [];
    for await (const order of transport.subscribe!(backend.endpoint, operation('Subscription.watchOrders'), { customerId: 'c-open' }, callOptions({ signal: controller.signal }))) {
      received.push(order);
      if (received.length === 2) controller.abort(new Error('client went away'));
    }
    expect(received).toHaveLength(2);
    expect(await cancelled).toEqual(['WatchOrders']);
  });

  it('delivers the messages sent before a failure status, then throws it as a TransportError', async () => {
    await using transport = createGrpcTransport(source);
    const received: unknown[] = [];
    const consume = async () => {
      for await (const order of transport.subscribe!(backend.endpoint, operation('Subscription.watchOrders'), { customerId: 'status:PERMISSION_DENIED' }, callOptions())) received.push(order);
    };
    await expect(consume()).rejects.toMatchObject({ name: 'TransportError', failure: 'rejected', details: { grpcStatus: 'PERMISSION_DENIED' } });
    expect(received).toHaveLength(1);
  });

  it('sends a client stream from the messages list and returns the single reply', async () => {
    await using transport = createGrpcTransport(source);
    const messages = [
      { sku: 'A', quantity: 1, price: { currencyCode: 'EUR', units: '1', nanos: 0 } },
      { sku: 'B', quantity: 2 },
    ];
    const reply = await transport.call(backend.endpoint, operation('Mutation.uploadLines'), { messages }, callOptions({ headers: { 'x-tenant': 't-1' } }));
    expect(reply).toMatchObject({ id: 'o-uploaded', status: 'PENDING', lines: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 2 }] });
    expect(backend.requests.at(-1)).toMatchObject({ lines: [{ sku: 'A' }, { sku: 'B' }] });
    expect(backend.metadata.at(-1)?.get('x-tenant')).toEqual(['t-1']);
  });

  it('rejects a client stream with a message it cannot encode, naming its index', async () => {
    await using transport = createGrpcTransport(source);
    const error = await rejection(transport.call(backend.endpoint, operation('Mutation.uploadLines'), { messages: [{ sku: 'A' }, 'nope'] }, callOptions()));
    expect(error).toMatchObject({ name: 'TransportError', failure: 'rejected', message: expect.stringContaining('messages[1]') });
  });
});
