import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { validateConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { FINITE_WATCH, ORDERS_INCLUDE_DIRS, ORDERS_PROTO, startOrdersBackend, type OrdersBackend } from '../fixtures/grpc/start-orders-backend.js';
import { readSseEvents } from '../../src/sources/sse-events.js';
import { takeThenLeave } from '../helpers/sse-client.js';

/** GetOrder's own deadline; `hang` never answers, so it always expires. */
const GET_ORDER_TIMEOUT_MS = 150;

let backend: OrdersBackend;
let gateway: Gateway;
let server: RunningServer;
let configDir: string;

beforeAll(async () => {
  backend = await startOrdersBackend();
  configDir = mkdtempSync(path.join(tmpdir(), 'interchange-grpc-'));
  const raw = {
    server: { port: 0, host: '127.0.0.1', graphiql: false },
    sources: [
      {
        name: 'orders',
        kind: 'grpc',
        proto: path.relative(configDir, ORDERS_PROTO),
        includeDirs: ORDERS_INCLUDE_DIRS.map((dir) => path.relative(configDir, dir)),
        endpoints: [backend.endpoint],
        rename: { OrdersV1Order: 'Order' },
        headers: { 'x-api-key': 'static-secret' },
        forwardHeaders: ['authorization', 'x-tenant'],
        operations: { orderServiceGetOrder: { timeoutMs: GET_ORDER_TIMEOUT_MS } },
      },
    ],
  };
  gateway = await createGateway(validateConfig(raw, path.join(configDir, 'interchange.yaml')));
  server = await listen(gateway, { port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await server?.close();
  await gateway?.[Symbol.asyncDispose]();
  await backend?.[Symbol.asyncDispose]();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

interface GraphqlResponse {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[];
}

async function post(query: string, headers: Record<string, string> = {}): Promise<{ status: number; body: GraphqlResponse }> {
  const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as GraphqlResponse };
}


function subscribeOverSse(query: string, signal: AbortSignal): Promise<Response> {
  return fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query }),
    signal,
  });
}

describe('gRPC source through the gateway', () => {
  it('answers a unary query and a client-streaming mutation', async () => {
    const { status, body } = await post(`mutation {
      uploadLines(messages: [{ sku: "A", quantity: 1 }, { sku: "B", quantity: 2 }]) { id lines { sku quantity } }
    }`);
    expect(status).toBe(200);
    expect(body).toEqual({ data: { uploadLines: { id: 'o-uploaded', lines: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 2 }] } } });
    const order = await post('{ orderServiceGetOrder(id: "o-1") { id createdAt labels } }');
    expect(order.body).toEqual({ data: { orderServiceGetOrder: { id: 'o-1', createdAt: '2026-01-01T00:00:00.123Z', labels: { channel: 'web' } } } });
  });

  it('streams a subscription over SSE to its end', async () => {
    const response = await subscribeOverSse(`subscription { watchOrders(customerId: "${FINITE_WATCH}") { id } }`, new AbortController().signal);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events: { event: string; data: string }[] = [];
    for await (const event of readSseEvents(response.body!)) events.push(event);
    expect(events.filter((e) => e.event === 'next').map((e) => JSON.parse(e.data))).toEqual(['w-1', 'w-2', 'w-3'].map((id) => ({ data: { watchOrders: { id } } })));
    expect(events.at(-1)?.event).toBe('complete');
  });

  it('cancels the gRPC stream when the SSE client goes away', async () => {
    const controller = new AbortController();
    const cancelled = once(backend.events, 'cancelled');
    const response = await subscribeOverSse('subscription { watchOrders(customerId: "c-open") { id status } }', controller.signal);
    const received = await takeThenLeave(response, 2, controller);
    expect(received).toEqual([{ data: { watchOrders: { id: 'w-1', status: 'SHIPPED' } } }, { data: { watchOrders: { id: 'w-2', status: 'SHIPPED' } } }]);
    expect(await cancelled).toEqual(['WatchOrders']);
  });

  it('streams over graphql-ws and cancels the gRPC stream when the client completes', async () => {
    const client = createClient({ url: server.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const cancelled = once(backend.events, 'cancelled');
      const subscription = client.iterate<{ watchOrders: { id: string } }>({ query: 'subscription { watchOrders(customerId: "c-open") { id } }' });
      const first = await subscription.next();
      const second = await subscription.next();
      expect([first.value, second.value]).toEqual([{ data: { watchOrders: { id: 'w-1' } } }, { data: { watchOrders: { id: 'w-2' } } }]);
      await subscription.return?.(undefined);
      expect(await cancelled).toEqual(['WatchOrders']);
    } finally {
      await client.dispose();
    }
  });

  it('cancels the gRPC stream when the WebSocket closes', async () => {
    const client = createClient({ url: server.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    const cancelled = once(backend.events, 'cancelled');
    const arrived = once(backend.events, 'arrived');
    const subscription = client.iterate({ query: 'subscription { watchOrders(customerId: "c-open") { id } }' });
    const first = subscription.next();
    await arrived;
    await first;
    await client.dispose();
    expect(await cancelled).toEqual(['WatchOrders']);
  });

  it('reports a failing stream as a source error over graphql-ws', async () => {
    const client = createClient({ url: server.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const results: unknown[] = [];
      const consume = async () => {
        for await (const result of client.iterate({ query: 'subscription { watchOrders(customerId: "status:PERMISSION_DENIED") { id } }' })) results.push(result);
      };
      const error: unknown = await consume().catch((caught: unknown) => caught);
      // yoga delivers a failed stream as a last result with errors, then completes.
      expect(error).toBeUndefined();
      expect(results).toEqual([
        { data: { watchOrders: { id: 'w-1' } } },
        expect.objectContaining({
          errors: [expect.objectContaining({ message: expect.stringContaining('failed on purpose'), extensions: expect.objectContaining({ code: 'PERMISSION_DENIED', source: 'orders', grpcStatus: 'PERMISSION_DENIED' }) })],
        }),
      ]);
    } finally {
      await client.dispose();
    }
  });

  it('turns an expired deadline into SOURCE_TIMEOUT with HTTP 200, and the backend sees the call cancelled', async () => {
    const cancelled = once(backend.events, 'cancelled');
    const started = performance.now();
    const { status, body } = await post('{ orderServiceGetOrder(id: "hang") { id } }');
    const elapsed = performance.now() - started;
    expect(status).toBe(200);
    expect(body.data).toEqual({ orderServiceGetOrder: null });
    expect(body.errors).toEqual([expect.objectContaining({ path: ['orderServiceGetOrder'], extensions: expect.objectContaining({ code: 'SOURCE_TIMEOUT', source: 'orders' }) })]);
    expect(elapsed).toBeGreaterThanOrEqual(GET_ORDER_TIMEOUT_MS - 5);
    expect(await cancelled).toEqual(['GetOrder']);
  });

  it('sends the per-operation timeout to the backend as the gRPC deadline', async () => {
    const sent = Date.now();
    const { body } = await post('{ orderServiceGetOrder(id: "o-1") { id } }');
    const answered = Date.now();
    expect(body.errors).toBeUndefined();
    const last = backend.deadlines.at(-1)!;
    const deadline = typeof last === 'number' ? last : last.getTime();
    // Set when the call left the gateway, somewhere between sending the query and getting the answer.
    expect(deadline).toBeGreaterThanOrEqual(sent + GET_ORDER_TIMEOUT_MS - 2);
    expect(deadline).toBeLessThanOrEqual(answered + GET_ORDER_TIMEOUT_MS + 2);
  });

  it('forwards only allowlisted headers as metadata, with the static metadata', async () => {
    await post('{ orderServiceGetOrder(id: "o-2") { id } }', { authorization: 'Bearer t', 'x-tenant': 'acme', 'x-other': 'no', cookie: 'a=b' });
    const received = backend.metadata.at(-1);
    expect(received?.get('authorization')).toEqual(['Bearer t']);
    expect(received?.get('x-tenant')).toEqual(['acme']);
    expect(received?.get('x-api-key')).toEqual(['static-secret']);
    expect(received?.get('x-other')).toEqual([]);
    expect(received?.get('cookie')).toEqual([]);
  });

  it.each([
    ['NOT_FOUND', 'NOT_FOUND'],
    ['INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
    ['PERMISSION_DENIED', 'PERMISSION_DENIED'],
    ['UNAUTHENTICATED', 'UNAUTHENTICATED'],
    ['ALREADY_EXISTS', 'ALREADY_EXISTS'],
    ['FAILED_PRECONDITION', 'FAILED_PRECONDITION'],
    ['OUT_OF_RANGE', 'OUT_OF_RANGE'],
    ['RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED'],
    ['ABORTED', 'ABORTED'],
    ['UNAVAILABLE', 'SOURCE_UNAVAILABLE'],
    ['CANCELLED', 'SOURCE_UNAVAILABLE'],
    ['DEADLINE_EXCEEDED', 'SOURCE_TIMEOUT'],
    ['INTERNAL', 'SOURCE_BAD_RESPONSE'],
    ['UNKNOWN', 'SOURCE_BAD_RESPONSE'],
    ['DATA_LOSS', 'SOURCE_BAD_RESPONSE'],
    ['UNIMPLEMENTED', 'SOURCE_BAD_RESPONSE'],
  ])('maps gRPC %s to %s with extensions.grpcStatus and the status details, HTTP 200', async (grpcStatus, code) => {
    const { status, body } = await post(`{ orderServiceGetOrder(id: "status:${grpcStatus}") { id } }`);
    expect(status).toBe(200);
    expect(body.data).toEqual({ orderServiceGetOrder: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringContaining(`order status:${grpcStatus} failed on purpose`),
      extensions: { code, source: 'orders', grpcStatus },
    });
  });
});
