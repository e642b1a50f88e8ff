import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { SpecInvalidError } from '../../src/errors.js';
import { createGateway } from '../../src/server/create-gateway.js';
import { convertOpenApi, createOpenApiTransport, type OpenApiOperation } from '../../src/sources/openapi/index.js';
import { TransportError, type ConvertedSource } from '../../src/sources/types.js';
import { callOptions, closedPort, failureOf, startOpenApiFixture, type OpenApiFixture } from '../helpers/openapi-fixture.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/openapi');
const specFile = path.join(fixtures, 'shop.yaml');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The multipart parts a request carried, parsed by the platform's own FormData reader. */
async function multipartParts(contentType: string, body: Buffer): Promise<{ name: string; filename?: string; value: string }[]> {
  const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  const parts: { name: string; filename?: string; value: string }[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') parts.push({ name, value });
    else parts.push({ name, filename: value.name, value: Buffer.from(await value.arrayBuffer()).toString('hex') });
  }
  return parts;
}

/** The shop backend: echoes what it received, plus one route per response case. */
async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = request.url ?? '';
  const route = url.split('?')[0] ?? '';
  const body = await readBody(request);
  const contentType = request.headers['content-type'] ?? '';
  const echo = {
    method: request.method,
    url,
    contentType,
    cookie: request.headers.cookie,
    authorization: request.headers.authorization,
    user: request.headers['x-user'],
    body: body.toString('utf8'),
  };
  if (route === '/shop.yaml') response.writeHead(200, { 'content-type': 'application/yaml' }).end(await readFile(specFile));
  else if (route === '/products') {
    // The product's id echoes the request line and its old name the cookie header, so a query can see both.
    sendJson(response, 200, [{ id: url, availability: 'in-stock', sizes: [1, 3], releasedAt: '2024-05-01T10:00:00Z', oldName: request.headers.cookie }]);
  } else if (route === '/products/p1') sendJson(response, 200, { id: 'p1', availability: 'out-of-stock', sizes: [] });
  else if (route === '/products/missing') sendJson(response, 404, { message: 'no product "missing"' });
  else if (route === '/products/teapot') response.writeHead(418, { 'content-type': 'text/plain' }).end('I am a teapot');
  else if (route === '/products/boom') sendJson(response, 500, { error: { message: 'database down' } });
  else if (route === '/products/html') response.writeHead(200, { 'content-type': 'text/html' }).end('<p>not json</p>');
  else if (route === '/products/truncated') response.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "p');
  else if (route === '/products/gone') response.writeHead(204).end();
  else if (route === '/products/p1/image' && request.method === 'GET') response.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
  else if (route === '/products/p1/image' && request.method === 'PUT') response.writeHead(body.equals(PNG) && contentType === 'application/octet-stream' ? 204 : 400).end();
  else if (route === '/items') sendJson(response, 200, [{ kind: 'film', minutes: 90 }, { kind: 'book', isbn: '978-3', 'page-count': 320 }]);
  else if (route === '/search') sendJson(response, 200, [{ name: 'Ada', email: 'ada@example.org' }, { name: 'Corner shop', address: 'High St 1' }]);
  else if (route === '/contact' || route === '/notes') sendJson(response, 200, echo);
  else if (route === '/uploads') sendJson(response, 200, { ...echo, body: '', parts: await multipartParts(contentType, body) });
  else if (route.startsWith('/specs/')) response.writeHead(200, { 'content-type': 'application/yaml' }).end(await readFile(path.join(fixtures, route.slice('/specs/'.length))));
  else if (route === '/slow-spec.yaml') setTimeout(() => response.end(), 10_000).unref();
  else if (route === '/internal/stats') sendJson(response, 200, { hits: 1 });
  else sendJson(response, 404, { message: `no route ${route}` });
}


let fixture: OpenApiFixture;
let endpoint: string;
let source: ConvertedSource<OpenApiOperation>;

beforeAll(async () => {
  fixture = await startOpenApiFixture({ name: 'shop', specFile, handle });
  ({ endpoint, source } = fixture);
});

afterAll(() => fixture?.close());

const operation = (key: string): OpenApiOperation => fixture.operation(key);



describe('OpenAPI requests on the wire', () => {
  it('sends cookie parameters after a forwarded cookie, deepObject and translated enum query parameters, and static query parameters', async () => {
    await using transport = createOpenApiTransport(source, { queryParameters: { api_key: 's3cret/+' } });
    const result = await transport.call(
      endpoint,
      operation('Query.listProducts'),
      { availability: 'IN_STOCK', sort: ['PRICE_DESC'], limit: 5, session: 'a b', ab: ['x', 'y'], filter: { color: 'red', size: 2 } },
      callOptions({ headers: { cookie: 'client=1' } }),
    );
    expect(result).toEqual([
      {
        id: '/products?api_key=s3cret%2F%2B&availability=in-stock&limit=5&sort=price-desc&filter[color]=red&filter[size]=2',
        availability: 'IN_STOCK',
        sizes: ['_1', '_3'],
        releasedAt: '2024-05-01T10:00:00Z',
        oldName: 'client=1; session=a%20b; ab=x,y',
      },
    ]);
  });

  it('sends a form-urlencoded body, arrays as repeated keys', async () => {
    await using transport = createOpenApiTransport(source);
    const result = await transport.call(endpoint, operation('Mutation.sendContactForm'), { input: { email: 'a@b.c', topics: ['x', 'y'], urgent: true } }, callOptions());
    expect(result).toMatchObject({ method: 'POST', contentType: 'application/x-www-form-urlencoded', body: 'email=a%40b.c&topics=x&topics=y&urgent=true' });
  });

  it('sends a multipart body: fields as text, a base64 file argument as a file part', async () => {
    await using transport = createOpenApiTransport(source);
    const result = await transport.call(endpoint, operation('Mutation.upload'), { input: { title: 'Cover', pages: 3, file: PNG.toString('base64') } }, callOptions());
    expect(result).toMatchObject({
      contentType: expect.stringMatching(/^multipart\/form-data; boundary=/) as unknown as string,
      parts: [
        { name: 'title', value: 'Cover' },
        { name: 'pages', value: '3' },
        { name: 'file', filename: 'file', value: PNG.toString('hex') },
      ],
    });
  });

  it('sends a text body as it is and a binary body from base64; answers a binary response as base64', async () => {
    await using transport = createOpenApiTransport(source);
    expect(await transport.call(endpoint, operation('Mutation.addNote'), { input: 'hello\nworld' }, callOptions())).toMatchObject({ contentType: 'text/plain', body: 'hello\nworld' });
    expect(await transport.call(endpoint, operation('Mutation.putProductImage'), { id: 'p1', input: PNG.toString('base64') }, callOptions())).toBe(true);
    expect(await transport.call(endpoint, operation('Query.getProductImage'), { id: 'p1' }, callOptions())).toBe(PNG.toString('base64'));
  });

  it('tags union values with their member: by discriminator, and by properties without one', async () => {
    await using transport = createOpenApiTransport(source);
    expect(await transport.call(endpoint, operation('Query.listItems'), {}, callOptions())).toEqual([
      { __typename: 'Film', kind: 'film', minutes: 90 },
      { __typename: 'Book', kind: 'book', isbn: '978-3', pageCount: 320 },
    ]);
    expect(await transport.call(endpoint, operation('Query.search'), {}, callOptions())).toEqual([
      { __typename: 'Person', name: 'Ada', email: 'ada@example.org' },
      { __typename: 'Shop', name: 'Corner shop', address: 'High St 1' },
    ]);
  });
});

describe('OpenAPI responses that are not a usable 2xx', () => {
  it('a documented 404 is rejected with the status and the body message in details', async () => {
    await using transport = createOpenApiTransport(source);
    const error = await failureOf(transport.call(endpoint, operation('Query.getProduct'), { id: 'missing' }, callOptions()));
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ failure: 'rejected', message: 'no product "missing"', details: { status: 404, message: 'no product "missing"' } });
  });

  it('a plain-text 4xx carries its text as the message', async () => {
    await using transport = createOpenApiTransport(source);
    const error = await failureOf(transport.call(endpoint, operation('Query.getProduct'), { id: 'teapot' }, callOptions()));
    expect(error).toMatchObject({ failure: 'rejected', details: { status: 418, message: 'I am a teapot' } });
  });

  it('a documented 500 is unavailable, with the nested error message', async () => {
    await using transport = createOpenApiTransport(source);
    const error = await failureOf(transport.call(endpoint, operation('Query.getProduct'), { id: 'boom' }, callOptions()));
    expect(error).toMatchObject({ failure: 'unavailable', code: 'SOURCE_BAD_RESPONSE', message: 'shop GET /products/{id} answered 500: database down', details: { status: 500, message: 'database down' } });
  });

  it('a body of another content type or truncated JSON is a bad response, a 204 is null', async () => {
    await using transport = createOpenApiTransport(source);
    expect(await failureOf(transport.call(endpoint, operation('Query.getProduct'), { id: 'html' }, callOptions()))).toMatchObject({
      failure: 'bad-response',
      message: 'shop GET /products/{id} answered with text/html, not JSON',
    });
    expect(await failureOf(transport.call(endpoint, operation('Query.getProduct'), { id: 'truncated' }, callOptions()))).toMatchObject({ failure: 'bad-response', details: { status: 200 } });
    expect(await transport.call(endpoint, operation('Query.getProduct'), { id: 'gone' }, callOptions())).toBeNull();
  });
});

interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[];
}

describe('an OpenAPI source in the gateway', () => {
  async function gatewayFor(source: Record<string, unknown>, env: Record<string, string> = {}) {
    const config = validateConfig({ sources: [{ name: 'shop', kind: 'openapi', endpoints: [endpoint], ...source }] }, path.join(fixtures, 'gateway.yaml'), { env });
    return createGateway(config);
  }

  async function query(gateway: Awaited<ReturnType<typeof createGateway>>, text: string, headers: Record<string, string> = {}): Promise<GraphqlBody> {
    const response = await gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: text }) });
    expect(response.status).toBe(200);
    return (await response.json()) as GraphqlBody;
  }

  it('resolves union members, translates enum arguments and values, and applies argument defaults', async () => {
    await using gateway = await gatewayFor({ spec: 'shop.yaml' });
    const body = await query(
      gateway,
      `{
        listItems { __typename ... on Book { isbn pageCount } ... on Film { minutes } }
        search { __typename ... on Person { email } ... on Shop { address } }
        listProducts(availability: OUT_OF_STOCK) { id availability sizes releasedAt }
      }`,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      listItems: [
        { __typename: 'Film', minutes: 90 },
        { __typename: 'Book', isbn: '978-3', pageCount: 320 },
      ],
      search: [
        { __typename: 'Person', email: 'ada@example.org' },
        { __typename: 'Shop', address: 'High St 1' },
      ],
      listProducts: [{ id: '/products?availability=out-of-stock&limit=20&sort=price-asc', availability: 'IN_STOCK', sizes: ['_1', '_3'], releasedAt: '2024-05-01T10:00:00Z' }],
    });
  });

  it('gives a documented error status SOURCE_BAD_RESPONSE with the status and message in extensions', async () => {
    await using gateway = await gatewayFor({ spec: 'shop.yaml' });
    const body = await query(gateway, '{ getProduct(id: "missing") { id } }');
    expect(body.data).toEqual({ getProduct: null });
    expect(body.errors).toEqual([
      expect.objectContaining({ path: ['getProduct'], extensions: expect.objectContaining({ code: 'SOURCE_BAD_RESPONSE', source: 'shop', status: 404, message: 'no product "missing"' }) }),
    ]);
  });

  it('prefixes types and root fields and leaves out excluded operations and types', async () => {
    await using gateway = await gatewayFor({ spec: 'shop.yaml', prefix: 'Shop', exclude: ['internalStats', 'Echo'] });
    const body = await query(gateway, '{ __schema { queryType { fields { name } } mutationType { fields { name } } types { name } } }');
    const schema = body.data!['__schema'] as { queryType: { fields: { name: string }[] }; mutationType: { fields: { name: string }[] } | null; types: { name: string }[] };
    expect(schema.queryType.fields.map((field) => field.name)).toEqual(['shopListProducts', 'shopGetProduct', 'shopGetProductImage', 'shopListItems', 'shopSearch']);
    // Every mutation but the image upload answers Echo, so it goes with it.
    expect(schema.mutationType?.fields.map((field) => field.name)).toEqual(['shopPutProductImage']);
    const names = schema.types.map((type) => type.name);
    expect(names).toEqual(expect.arrayContaining(['ShopProduct', 'ShopItem', 'ShopBook', 'ShopAvailability', 'DateTime']));
    expect(names).not.toContain('ShopEcho');
    expect(names).not.toContain('ShopStats');
    const items = await query(gateway, '{ shopListItems { __typename } }');
    expect(items.data).toEqual({ shopListItems: [{ __typename: 'ShopFilm' }, { __typename: 'ShopBook' }] });
  });

  it('sends a bearer token from the environment, an API key in the query and only the allowed client headers', async () => {
    await using gateway = await gatewayFor(
      { spec: 'shop.yaml', headers: { Authorization: 'Bearer ${SHOP_TOKEN}' }, queryParameters: { api_key: '${SHOP_KEY}' }, forwardHeaders: ['x-user'] },
      { SHOP_TOKEN: 'tok-1', SHOP_KEY: 'key 2' },
    );
    const body = await query(gateway, 'mutation { addNote(input: "hi") { url authorization user cookie } }', { 'x-user': 'ada', cookie: 'secret=1' });
    expect(body).toEqual({ data: { addNote: { url: '/notes?api_key=key%202', authorization: 'Bearer tok-1', user: 'ada', cookie: null } } });
  });

  it('loads a spec from a URL at load time', async () => {
    await using gateway = await gatewayFor({ spec: `${endpoint}/shop.yaml` });
    const body = await query(gateway, '{ getProduct(id: "p1") { id availability } }');
    expect(body).toEqual({ data: { getProduct: { id: 'p1', availability: 'OUT_OF_STOCK' } } });
  });

  it('fetches the relative $refs of a URL spec beside it', async () => {
    const converted = await convertOpenApi({ name: 'remote', specFile: `${endpoint}/specs/external-main.yaml` });
    expect(converted.typeDefs).toContain('type Error {\n  code: Int\n  message: String\n}');
  });

  it('a spec URL that fails is SPEC_INVALID naming the URL', async () => {
    const error: unknown = await convertOpenApi({ name: 'shop', specFile: `${endpoint}/nothing.yaml` }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SpecInvalidError);
    expect((error as SpecInvalidError).problems).toEqual([{ file: `${endpoint}/nothing.yaml`, at: '#', message: `cannot fetch the spec: ${endpoint}/nothing.yaml answered 404` }]);
    const port = await closedPort();
    const refused: unknown = await convertOpenApi({ name: 'shop', specFile: `http://127.0.0.1:${port}/spec.json` }).catch((caught: unknown) => caught);
    expect((refused as SpecInvalidError).problems).toEqual([{ file: `http://127.0.0.1:${port}/spec.json`, at: '#', message: `cannot fetch the spec from http://127.0.0.1:${port}/spec.json (ECONNREFUSED)` }]);
    const slow: unknown = await convertOpenApi({ name: 'shop', specFile: `${endpoint}/slow-spec.yaml`, fetchTimeoutMs: 100 }).catch((caught: unknown) => caught);
    expect((slow as SpecInvalidError).problems).toEqual([{ file: `${endpoint}/slow-spec.yaml`, at: '#', message: `cannot fetch the spec: ${endpoint}/slow-spec.yaml did not answer within 100 ms` }]);
  });
});
