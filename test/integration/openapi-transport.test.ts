import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenApiTransport, type OpenApiOperation } from '../../src/sources/openapi/index.js';
import { TransportError, type ConvertedSource } from '../../src/sources/types.js';
import { callOptions, closedPort, failureOf, startOpenApiFixture, type OpenApiFixture } from '../helpers/openapi-fixture.js';

const specFile = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/openapi/transport.yaml');

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A backend under `/api` that echoes what it received, plus one route per failure mode. */
async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = request.url ?? '';
  const route = url.replace(/^\/api/, '').split('?')[0];
  const text = await readBody(request);
  const echo = {
    method: request.method,
    url,
    trace: request.headers['x-trace'],
    apiKey: request.headers['x-api-key'],
    'first-name': 'Ada',
    body: text === '' ? null : (JSON.parse(text) as unknown),
    children: [{ 'first-name': 'Grace' }],
  };
  if (!url.startsWith('/api/')) sendJson(response, 404, { error: 'outside the base path' });
  else if (route?.startsWith('/items') && request.method === 'DELETE') response.writeHead(204).end();
  else if (route?.startsWith('/items')) sendJson(response, request.method === 'POST' ? 201 : 200, echo);
  else if (route === '/empty') response.writeHead(204).end();
  else if (route === '/missing') sendJson(response, 404, { message: 'no such item' });
  else if (route === '/broken') sendJson(response, 503, { message: 'down for maintenance' });
  else if (route === '/not-json') response.writeHead(200, { 'content-type': 'application/json' }).end('{"method": ');
  else if (route === '/html') response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>hi</h1>');
  else if (route === '/slow') setTimeout(() => sendJson(response, 200, echo), 10_000).unref();
  else sendJson(response, 500, {});
}


let fixture: OpenApiFixture;
let endpoint: string;
let source: ConvertedSource<OpenApiOperation>;

beforeAll(async () => {
  fixture = await startOpenApiFixture({ name: 'items', specFile, handle, basePath: '/api' });
  ({ endpoint, source } = fixture);
});

afterAll(() => fixture?.close());

const operation = (key: string): OpenApiOperation => fixture.operation(key);



describe('createOpenApiTransport', () => {
  it('sends path, query (both array styles) and header parameters, static and forwarded headers; shapes the answer', async () => {
    await using transport = createOpenApiTransport(source, { headers: { 'X-Api-Key': 'secret' } });
    const result = await transport.call(
      endpoint,
      operation('Query.getItem'),
      { itemId: 'a b/c', tag: ['x', 'y z'], ids: [1, 2], xTrace: 'trace-1' },
      callOptions({ headers: { 'x-forwarded-user': 'u1' } }),
    );
    expect(result).toEqual({
      method: 'GET',
      url: '/api/items/a%20b%2Fc?tag=x&tag=y%20z&ids=1,2',
      trace: 'trace-1',
      apiKey: 'secret',
      firstName: 'Ada',
      body: null,
      children: [{ firstName: 'Grace' }],
    });
  });

  it('sends a JSON body with the spec property names', async () => {
    await using transport = createOpenApiTransport(source);
    const result = await transport.call(endpoint, operation('Mutation.createItem'), { input: { displayName: 'Lamp', sizes: [1, 2] } }, callOptions());
    expect(result).toMatchObject({ method: 'POST', url: '/api/items', body: { 'display-name': 'Lamp', sizes: [1, 2] } });
  });

  it('resolves null for a 204 and true for an operation that declares no content', async () => {
    await using transport = createOpenApiTransport(source);
    expect(await transport.call(endpoint, operation('Query.getEmpty'), {}, callOptions())).toBeNull();
    expect(await transport.call(endpoint, operation('Mutation.deleteItem'), { itemId: '7' }, callOptions())).toBe(true);
  });

  it('rejects a 4xx as rejected with the status and the body message', async () => {
    await using transport = createOpenApiTransport(source);
    const error = await failureOf(transport.call(endpoint, operation('Query.getMissing'), {}, callOptions()));
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ failure: 'rejected', message: 'no such item', details: { status: 404 } });
  });

  it('rejects a 5xx as unavailable', async () => {
    await using transport = createOpenApiTransport(source);
    const error = await failureOf(transport.call(endpoint, operation('Query.getBroken'), {}, callOptions()));
    expect(error).toMatchObject({ failure: 'unavailable', details: { status: 503 } });
  });

  it('rejects a 2xx with an invalid JSON body or another content type as bad-response', async () => {
    await using transport = createOpenApiTransport(source);
    expect(await failureOf(transport.call(endpoint, operation('Query.getNotJson'), {}, callOptions()))).toMatchObject({
      failure: 'bad-response',
      details: { status: 200 },
    });
    expect(await failureOf(transport.call(endpoint, operation('Query.getHtml'), {}, callOptions()))).toMatchObject({
      failure: 'bad-response',
      message: 'items GET /html answered with text/html, not JSON',
    });
  });

  it('rejects as unavailable when the connection is refused', async () => {
    const port = await closedPort();
    await using transport = createOpenApiTransport(source);
    const error = await failureOf(transport.call(`http://127.0.0.1:${port}`, operation('Query.getEmpty'), {}, callOptions()));
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ failure: 'unavailable' });
  });

  it('rejects with a timeout when the signal times out, and with the abort reason otherwise', async () => {
    await using transport = createOpenApiTransport(source);
    const timedOut = await failureOf(transport.call(endpoint, operation('Query.getSlow'), {}, callOptions({ signal: AbortSignal.timeout(50) })));
    expect(timedOut).toMatchObject({ failure: 'timeout' });

    const controller = new AbortController();
    const reason = new Error('client went away');
    const pending = transport.call(endpoint, operation('Query.getSlow'), {}, callOptions({ signal: controller.signal }));
    setTimeout(() => controller.abort(reason), 20);
    expect(await failureOf(pending)).toBe(reason);
  });

  it('refuses calls once disposed', async () => {
    const transport = createOpenApiTransport(source);
    expect(await transport.call(endpoint, operation('Query.getEmpty'), {}, callOptions())).toBeNull();
    await transport[Symbol.asyncDispose]();
    await expect(transport.call(endpoint, operation('Query.getEmpty'), {}, callOptions())).rejects.toThrow(/disposed/);
  });
});
