import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConfig } from '../../src/config/define.js';
import { countsAgainstBackend } from '../../src/pipeline/failures.js';
import { createGateway } from '../../src/server/create-gateway.js';
import { httpCallFailure } from '../../src/sources/call-failure.js';
import { hs256Auth, makeToken } from '../helpers/tokens.js';

/**
 * Header values a client or a token chooses, through a real undici client to a real backend: what HTTP cannot
 * carry must never reach the socket, and never count against the backend (finding 3).
 */
const SPEC = join(import.meta.dirname, '..', 'fixtures', 'openapi', 'transport.yaml');

describe('header values the gateway cannot send as they are', () => {
  const received: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    received.push(request.headers);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ method: request.method, url: request.url, trace: request.headers['x-trace'] }));
  });
  let origin = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => void server.close());

  const getItem = 'query ($trace: String) { getItem(itemId: "1", xTrace: $trace) { trace } }';

  it('refuses a header argument beyond ASCII or with a line break as SOURCE_REJECTED, sends nothing, and keeps the breaker closed', async () => {
    await using gateway = await createGateway(defineConfig({ sources: [{ name: 'items', kind: 'openapi', spec: SPEC, endpoints: [origin] }] }));
    const ask = async (trace: string) => (await (await gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: getItem, variables: { trace } }) })).json()) as { data?: unknown; errors?: { extensions: Record<string, unknown> }[] };
    received.length = 0;
    for (let i = 0; i < 12; i++) {
      const answer = await ask(i % 2 === 0 ? 'Ł' : 'a\r\nx-injected: 1');
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'SOURCE_REJECTED', source: 'items', argument: 'xTrace' });
    }
    expect(received).toEqual([]); // nothing was sent, and each refusal was one call: no retries either
    expect(gateway.current.sources.get('items')!.resilience().circuit).toBe('closed');
    expect(await ask('abc-123')).toEqual({ data: { getItem: { trace: 'abc-123' } } });
  });

  it('reads undici refusing to send a call as the call\'s fault, never the backend\'s', async () => {
    const pool = new Pool(origin);
    try {
      const signal = new AbortController().signal;
      const refused = await pool.request({ method: 'GET', path: '/', headers: { 'x-user-name': 'Łukasz' }, signal }).then(
        () => undefined,
        (error: unknown) => httpCallFailure(error, 'items GET /', signal),
      );
      expect(refused).toMatchObject({ name: 'TransportError', failure: 'rejected', code: 'SOURCE_REJECTED', notSent: true });
      expect(countsAgainstBackend(refused)).toBe(false);
    } finally {
      await pool.close();
    }
  });

  it('sends a claim beyond ASCII (or with a line break) percent-encoded', async () => {
    const config = defineConfig({ auth: hs256Auth(), sources: [{ name: 'items', kind: 'openapi', spec: SPEC, endpoints: [origin], claimsToHeaders: { name: 'x-trace' } }] });
    await using gateway = await createGateway(config);
    const traceFor = async (name: string) => {
      const token = await makeToken({ sub: 'u1', name });
      const response = await gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ getItem(itemId: "1") { trace } }' }) });
      return ((await response.json()) as { data: { getItem: { trace: string } } }).data.getItem.trace;
    };
    expect(await traceFor('Ada Lovelace')).toBe('Ada Lovelace');
    expect(await traceFor('Łukasz')).toBe('%C5%81ukasz');
    expect(decodeURIComponent(await traceFor('a\r\nx-injected: 1'))).toBe('a\r\nx-injected: 1');
  });
});
