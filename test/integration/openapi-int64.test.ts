import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/server/create-gateway.js';
import { createOpenApiTransport, type OpenApiOperation } from '../../src/sources/openapi/index.js';
import { TransportError, type ConvertedSource } from '../../src/sources/types.js';
import { callOptions, failureOf, startOpenApiFixture, type OpenApiFixture } from '../helpers/openapi-fixture.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/openapi');

/** Written by hand: JSON.stringify could not produce these numbers, which is the point. */
const ACCOUNT_BODY =
  '{"id": 9007199254740993, "balance": 18446744073709551615, "ratio": 0.25, "count": 3,' +
  ' "history": [-9223372036854775808, 9223372036854775807, 42], "parent": {"id": -9223372036854775808}}';

interface Received {
  readonly method: string | undefined;
  readonly url: string;
  readonly requestId: string | undefined;
  readonly body: string;
}

/** Every request the ledger backend saw, in order. */
const received: Received[] = [];

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = request.url ?? '';
  const body = await readBody(request);
  const requestId = request.headers['x-request-id'];
  received.push({ method: request.method, url, requestId: Array.isArray(requestId) ? requestId[0] : requestId, body });
  const route = url.split('?')[0] ?? '';
  const json = { 'content-type': 'application/json' };
  if (route.startsWith('/accounts/')) response.writeHead(200, json).end(ACCOUNT_BODY);
  else if (route === '/transfers') response.writeHead(200, json).end(JSON.stringify({ url, body }));
  else if (route === '/status') response.writeHead(200, json).end('{"version": "1", "uptime": 9007199254740993}');
  else response.writeHead(404, json).end(JSON.stringify({ message: `no route ${route}` }));
}

let fixture: OpenApiFixture;
let endpoint: string;
let source: ConvertedSource<OpenApiOperation>;

beforeAll(async () => {
  fixture = await startOpenApiFixture({ name: 'ledger', specFile: path.join(fixtures, 'int64.yaml'), handle });
  ({ endpoint, source } = fixture);
});

beforeEach(() => {
  received.length = 0;
});

afterAll(() => fixture?.close());

interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[];
}

async function ledgerGateway() {
  const config = validateConfig({ sources: [{ name: 'ledger', kind: 'openapi', endpoints: [endpoint], spec: 'int64.yaml' }] }, path.join(fixtures, 'gateway.yaml'), { env: {} });
  return createGateway(config);
}

async function query(gateway: Awaited<ReturnType<typeof createGateway>>, text: string): Promise<GraphqlBody> {
  const response = await gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) });
  expect(response.status).toBe(200);
  return (await response.json()) as GraphqlBody;
}

const operation = (key: string): OpenApiOperation => fixture.operation(key);

describe('int64 through an OpenAPI source', () => {
  it('returns int64 response values as strings with every digit the backend sent', async () => {
    await using gateway = await ledgerGateway();
    const body = await query(gateway, '{ getAccount(id: "1") { id balance ratio count history parent { id } } }');
    expect(body).toEqual({
      data: {
        getAccount: {
          id: '9007199254740993',
          balance: '18446744073709551615',
          ratio: 0.25,
          count: 3,
          history: ['-9223372036854775808', '9223372036854775807', '42'],
          parent: { id: '-9223372036854775808' },
        },
      },
    });
  });

  it('sends int64 path, query and header arguments as their digits', async () => {
    await using gateway = await ledgerGateway();
    const body = await query(
      gateway,
      '{ getAccount(id: "9007199254740993", since: "-9223372036854775808", ids: ["18446744073709551615", "+7"], xRequestId: "12345678901234567890") { id } }',
    );
    expect(body.errors).toBeUndefined();
    expect(received).toEqual([
      expect.objectContaining({ url: '/accounts/9007199254740993?since=-9223372036854775808&ids=18446744073709551615,7', requestId: '12345678901234567890' }),
    ]);
  });

  it('sends int64 fields of a JSON body as bare numbers with every digit', async () => {
    await using gateway = await ledgerGateway();
    const body = await query(
      gateway,
      'mutation { createTransfer(input: { amount: "-9223372036854775808", toAccount: "9007199254740993", memo: "rent", legs: ["9223372036854775807"] }) { body } }',
    );
    const sent = '{"amount":-9223372036854775808,"to-account":9007199254740993,"memo":"rent","legs":[9223372036854775807]}';
    expect(body).toEqual({ data: { createTransfer: { body: sent } } });
    expect(received.map((request) => request.body)).toEqual([sent]);
  });

  it('rejects an argument that is not an int64, naming it, before any request reaches the backend', async () => {
    await using gateway = await ledgerGateway();
    const body = await query(gateway, '{ getAccount(id: "12a") { id } }');
    expect(body.data).toEqual({ getAccount: null });
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('argument id: "12a" is not a base-10 int64 integer'),
        extensions: expect.objectContaining({ code: 'SOURCE_REJECTED', source: 'ledger', argument: 'id' }),
      }),
    ]);
    const outOfRange = await query(gateway, 'mutation { createTransfer(input: { amount: "9223372036854775808" }) { body } }');
    expect(outOfRange.errors?.[0]?.message).toContain('argument input: "9223372036854775808" is not a base-10 int64 integer');
    const negativeUnsigned = await query(gateway, '{ getAccount(id: "1", ids: ["-1"]) { id } }');
    expect(negativeUnsigned.errors?.[0]?.message).toContain('argument ids: "-1" is not a base-10 uint64 integer');
    expect(received).toEqual([]);
  });

  it('rejects a bad header argument at the transport as a TransportError, without a request', async () => {
    await using transport = createOpenApiTransport(source);
    const error: unknown = await transport
      .call(endpoint, operation('Query.getAccount'), { id: '1', xRequestId: '12a' }, { signal: AbortSignal.timeout(5_000), headers: {} })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ failure: 'rejected', details: { argument: 'xRequestId' } });
    expect(received).toEqual([]);
  });

  it('keeps JSON.parse for a response without int64 fields', async () => {
    await using transport = createOpenApiTransport(source);
    const status = await transport.call(endpoint, operation('Query.getStatus'), {}, { signal: AbortSignal.timeout(5_000), headers: {} });
    // A Float field: the same rounded number JSON.parse gives, not a string.
    expect(status).toEqual({ version: '1', uptime: 9007199254740992 });
  });
});
