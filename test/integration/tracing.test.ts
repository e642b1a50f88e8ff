import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { ORDERS_INCLUDE_DIRS, ORDERS_PROTO, startOrdersBackend, type OrdersBackend } from '../fixtures/grpc/start-orders-backend.js';

/**
 * Traces exported over OTLP/HTTP to a receiver started here, with a REST and a gRPC backend recording the
 * `traceparent` they were sent: each must name the exported client span of its attempt, in the client's trace.
 */
const WHOAMI_SPEC = path.join(import.meta.dirname, '..', 'fixtures', 'whoami.openapi.yaml');

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: number | string; arrayValue?: unknown } }[];
  status?: { code?: number; message?: string };
}

function attribute(span: OtlpSpan, key: string): unknown {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue !== undefined ? Number(value.intValue) : undefined);
}

async function listenOn(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('tracing over OTLP/HTTP', () => {
  const exported: OtlpSpan[] = [];
  const restHeaders: IncomingHttpHeaders[] = [];
  let receiver: Server;
  let rest: Server;
  let orders: OrdersBackend;
  let gateway: Gateway;
  let server: RunningServer;
  let restUrl: string;

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = JSON.parse((request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')) as {
          resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        if (request.url === '/v1/traces') for (const r of body.resourceSpans) for (const s of r.scopeSpans) exported.push(...s.spans);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    rest = createServer((request, response) => {
      restHeaders.push(request.headers);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user: 'u-1' }));
    });
    let receiverUrl: string;
    [receiverUrl, restUrl] = await Promise.all([listenOn(receiver), listenOn(rest)]);
    orders = await startOrdersBackend();
    const configDir = mkdtempSync(path.join(tmpdir(), 'interchange-tracing-'));
    const raw = {
      telemetry: { otlp: { endpoint: receiverUrl, serviceName: 'gateway-under-test' } },
      sources: [
        { name: 'whoami', kind: 'openapi', spec: WHOAMI_SPEC, endpoints: [restUrl] },
        { name: 'orders', kind: 'grpc', proto: ORDERS_PROTO, includeDirs: ORDERS_INCLUDE_DIRS, endpoints: [orders.endpoint], rename: { OrdersV1Order: 'Order' } },
      ],
    };
    gateway = await createGateway(validateConfig(raw, path.join(configDir, 'interchange.yaml')));
    server = await listen(gateway, { port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server?.close();
    await gateway?.[Symbol.asyncDispose]();
    await orders?.[Symbol.asyncDispose]();
    rest?.closeAllConnections();
    await new Promise((resolve) => rest?.close(resolve));
    await new Promise((resolve) => receiver?.close(resolve));
  });

  async function post(query: string, headers: Record<string, string>) {
    const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
    return { headers: response.headers, body: (await response.json()) as { data?: unknown; errors?: unknown[] } };
  }

  it('continues the client trace and hands each backend the span of its own attempt', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const clientSpan = '00f067aa0ba902b7';
    const answer = await post('query Both { me { user } orderServiceGetOrder(id: "o-1") { id } }', {
      traceparent: `00-${traceId}-${clientSpan}-01`,
      tracestate: 'vendor=abc',
      'x-request-id': 'trace-test-1',
    });
    expect(answer.body.errors).toBeUndefined();
    await gateway.telemetry.tracing!.forceFlush();

    const spans = exported.filter((s) => s.traceId === traceId);
    expect(spans.length).toBe(5);
    const request = spans.find((s) => s.name === 'graphql.request')!;
    expect(request).toMatchObject({ parentSpanId: clientSpan, kind: 2 });
    expect(attribute(request, 'graphql.operation.name')).toBe('Both');
    expect(attribute(request, 'graphql.operation.type')).toBe('query');
    expect(String(attribute(request, 'graphql.document.hash'))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(attribute(request, 'interchange.request_id')).toBe('trace-test-1');

    const calls = spans.filter((s) => s.parentSpanId === request.spanId);
    expect(calls.map((s) => attribute(s, 'interchange.source')).sort()).toEqual(['orders', 'whoami']);
    for (const call of calls) {
      // The default staleIfError keeps a copy of every answer: a cache miss, then a live call.
      expect(attribute(call, 'interchange.cache')).toBe('miss');
      expect(attribute(call, 'interchange.attempts')).toBe(1);
      const attempts = spans.filter((s) => s.parentSpanId === call.spanId);
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({ kind: 3 });
      expect(attribute(attempts[0]!, 'interchange.attempt')).toBe(1);
    }
    const attemptOf = (source: string) => spans.find((s) => s.kind === 3 && attribute(s, 'interchange.source') === source)!;

    // The REST backend got the whoami attempt's span as its parent, with the client's tracestate and request id.
    expect(restHeaders.at(-1)?.['traceparent']).toBe(`00-${traceId}-${attemptOf('whoami').spanId}-01`);
    expect(restHeaders.at(-1)?.['tracestate']).toBe('vendor=abc');
    expect(restHeaders.at(-1)?.['x-request-id']).toBe('trace-test-1');
    expect(attribute(attemptOf('whoami'), 'interchange.replica')).toBe(restUrl);
    expect(attribute(attemptOf('orders'), 'interchange.replica')).toBe(orders.endpoint);
    // The gRPC backend got the orders attempt's span in its metadata.
    const metadata = orders.metadata.at(-1)!;
    expect(metadata.get('traceparent')).toEqual([`00-${traceId}-${attemptOf('orders').spanId}-01`]);
    expect(metadata.get('x-request-id')).toEqual(['trace-test-1']);
  });

  it('starts a trace when the client sent none, and marks a failed call with its code', async () => {
    exported.length = 0;
    const answer = await post('query Missing { orderServiceGetOrder(id: "status:NOT_FOUND") { id } }', {});
    expect(answer.body.errors).toHaveLength(1);
    await gateway.telemetry.tracing!.forceFlush();
    const request = exported.find((s) => s.name === 'graphql.request')!;
    expect(request.parentSpanId ?? '').toBe('');
    expect(attribute(request, 'interchange.outcome')).toBe('NOT_FOUND');
    const failed = exported.filter((s) => attribute(s, 'interchange.error_code') === 'NOT_FOUND');
    expect(failed).toHaveLength(2); // the source call and its one attempt
    expect(failed.every((s) => s.status?.code === 2 && s.traceId === request.traceId)).toBe(true);
    const attempt = failed.find((s) => s.kind === 3)!;
    expect(orders.metadata.at(-1)!.get('traceparent')).toEqual([`00-${request.traceId}-${attempt.spanId}-01`]);
  });
});
