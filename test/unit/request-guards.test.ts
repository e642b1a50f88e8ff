import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInMemoryDemo, type InMemoryDemo } from '../helpers/in-memory-demo.js';

/** Regressions of the requests the gateway answered wrongly, and the CSRF and CORS rules. */
describe('request guards', () => {
  let demo: InMemoryDemo;
  beforeAll(async () => {
    demo = await createInMemoryDemo({
      edit: (raw) => void (raw['server'] = { ...(raw['server'] as object), cors: { origins: ['https://app.example'], credentials: true } }),
    });
  });
  afterAll(async () => demo?.[Symbol.asyncDispose]());

  async function send(path: string, init: RequestInit = {}) {
    const response = await demo.gateway.fetch(`http://gateway.test${path}`, init);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }) : undefined };
  }
  const json = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  const csrfOk = { 'x-graphql-yoga-csrf': '1', accept: 'application/graphql-response+json' };

  it('answers a GET whose variables or extensions are not JSON with 400 BAD_REQUEST, not 500', async () => {
    for (const param of ['variables', 'extensions']) {
      const { status, body } = await send(`/graphql?query=${encodeURIComponent('{ __typename }')}&${param}=%7Bnot-json`, { headers: csrfOk });
      expect(status).toBe(400);
      expect(body!.errors![0]).toMatchObject({ message: expect.stringMatching(/not valid JSON/), extensions: { code: 'BAD_REQUEST' } });
    }
  });

  it('refuses a JSON body that is not valid UTF-8 instead of running it', async () => {
    const bytes = Buffer.concat([Buffer.from('{"query":"{ __typename } # '), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const { status, body } = await send('/graphql', { method: 'POST', headers: json, body: bytes });
    expect(status).toBe(400);
    expect(body!.errors![0]).toMatchObject({ message: 'POST body is not valid UTF-8', extensions: { code: 'BAD_REQUEST' } });
    expect(body!.data).toBeUndefined();
  });

  it('answers a multipart request with a broken operations field with 400', async () => {
    const form = new FormData();
    form.append('operations', '{broken');
    form.append('map', '{}');
    const { status, body } = await send('/graphql', { method: 'POST', headers: csrfOk, body: form });
    expect(status).toBe(400);
    expect(body!.errors![0]).toMatchObject({ message: expect.stringMatching(/operations/), extensions: { code: 'BAD_REQUEST' } });
  });

  it('bounds introspection nesting: ofType 300 deep is refused before it runs, GraphiQL\'s own query passes', async () => {
    let nested = 'name';
    for (let i = 0; i < 300; i++) nested = `ofType { ${nested} }`;
    const deep = await send('/graphql', { method: 'POST', headers: json, body: JSON.stringify({ query: `{ __schema { types { ${nested} } } }` }) });
    expect(deep.status).toBe(400);
    expect(deep.body!.errors![0]).toMatchObject({ message: expect.stringMatching(/Introspection depth limit of 20 exceeded/), extensions: { code: 'QUERY_TOO_COMPLEX' } });
    const full = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
    const graphiql = await send('/graphql', { method: 'POST', headers: json, body: JSON.stringify({ query: full }) });
    expect(graphiql.status).toBe(200);
    expect(graphiql.body!.errors).toBeUndefined();
  });

  describe('CSRF: what a browser sends cross-site without a preflight does not execute', () => {
    it.each([
      ['a form POST', { 'content-type': 'application/x-www-form-urlencoded' }, 'query=mutation%7BadjustStock(id%3A%22p1%22%2Cinput%3A%7Bdelta%3A1%7D)%7Bid%7D%7D'],
      ['a multipart POST', undefined, (() => {
        const form = new FormData();
        form.append('operations', JSON.stringify({ query: 'mutation { adjustStock(id: "p1", input: { delta: 1 }) { id } }' }));
        return form;
      })()],
      ['a text/plain POST', { 'content-type': 'text/plain' }, JSON.stringify({ query: 'mutation { adjustStock(id: "p1", input: { delta: 1 }) { id } }' })],
    ] as const)('%s: 403 BAD_REQUEST, nothing called', async (_name, headers, body) => {
      const before = demo.backends.calls.length;
      const { status, body: answer } = await send('/graphql', { method: 'POST', ...(headers ? { headers } : {}), body: body as BodyInit });
      expect(status).toBe(403);
      expect(answer!.errors![0]).toMatchObject({ message: expect.stringMatching(/cross-site request forgery/), extensions: { code: 'BAD_REQUEST' } });
      expect(demo.backends.calls.length).toBe(before);
    });

    it('a GET without the CSRF header is refused; with it, or a JSON POST, runs', async () => {
      expect((await send(`/graphql?query=${encodeURIComponent('{ __typename }')}`)).status).toBe(403);
      expect((await send(`/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: csrfOk })).body).toEqual({ data: { __typename: 'Query' } });
      expect((await send('/graphql', { method: 'POST', headers: json, body: JSON.stringify({ query: '{ __typename }' }) })).body).toEqual({ data: { __typename: 'Query' } });
    });
  });

  describe('CORS', () => {
    const preflight = (origin: string) => send('/graphql', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });

    it('gives a listed origin CORS headers with credentials', async () => {
      const { headers } = await preflight('https://app.example');
      expect(headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(headers.get('access-control-allow-credentials')).toBe('true');
      expect(headers.get('vary')).toMatch(/Origin/);
    });

    it('gives an unlisted origin no CORS headers, so its page cannot read the answer', async () => {
      const { headers } = await preflight('https://evil.example');
      expect(headers.get('access-control-allow-origin')).toBeNull();
      expect(headers.get('access-control-allow-credentials')).toBeNull();
    });

    it('lets any page read answers under *, never with credentials', async () => {
      await using open = await createInMemoryDemo({ edit: (raw) => void (raw['server'] = { ...(raw['server'] as object), cors: { origins: ['*'] } }) });
      const response = await open.gateway.fetch('http://gateway.test/graphql', { method: 'OPTIONS', headers: { origin: 'https://any.example', 'access-control-request-method': 'POST' } });
      expect(response.headers.get('access-control-allow-origin')).toBe('https://any.example');
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    });

    it('gives no CORS headers at all by default (no server.cors.origins)', async () => {
      await using plain = await createInMemoryDemo();
      const response = await plain.gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { ...json, origin: 'https://evil.example' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    });
  });

  it('turns introspection off with server.introspection: false, hiding suggestions too, live on reload', async () => {
    await using closed = await createInMemoryDemo({ edit: (raw) => void (raw['server'] = { ...(raw['server'] as object), introspection: false }) });
    const ask = async (query: string) => (await (await closed.gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: json, body: JSON.stringify({ query }) })).json()) as { errors?: { message: string }[] };
    expect((await ask('{ __schema { types { name } } }')).errors![0]!.message).toMatch(/introspection/i);
    const typo = await ask('{ ordr(id: "1") { id } }');
    expect(typo.errors![0]!.message).toBe('Cannot query field "ordr" on type "Query".');
    expect(typo.errors![0]!.message).not.toMatch(/Did you mean/);
  });
});
