import { createHash } from 'node:crypto';
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { boundedParserCache } from '../../src/security/parser-cache.js';
import { useAutomaticPersistedQueries } from '../../src/security/use-persisted-documents.js';
import { createInMemoryDemo } from '../helpers/in-memory-demo.js';
import { tempDir } from '../helpers/temp-dir.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const ORDER = '{ order(id: "1") { id } }';

describe('trusted documents and automatic persisted queries', () => {
  it('runs only listed documents, sent by hash', async () => {
    using dir = tempDir();
    const file = dir.write('trusted.json', JSON.stringify({ [sha256(ORDER)]: ORDER }));
    await using demo = await createInMemoryDemo({ edit: (raw) => void (raw['server'] = { ...(raw['server'] as object), trustedDocuments: file }) });
    const send = (body: unknown) => demo.gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const byHash = await send({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ORDER) } } });
    expect(await byHash.json()).toEqual({ data: { order: { id: '1' } } });
    const asText = await send({ query: ORDER });
    expect(asText.status).toBe(400);
    expect(((await asText.json()) as { errors: { extensions: unknown }[] }).errors[0]!.extensions).toMatchObject({ code: 'BAD_REQUEST', reason: 'document_not_trusted' });
    const unknown = await send({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ __typename }') } } });
    expect(unknown.status).toBe(400);
    expect(demo.backends.count('orders.getOrder')).toBe(1);
  });

  it('refuses at start a trusted-documents file whose hashes do not match', async () => {
    using dir = tempDir();
    const file = dir.write('trusted.json', JSON.stringify({ abc: ORDER }));
    await expect(createInMemoryDemo({ edit: (raw) => void (raw['server'] = { ...(raw['server'] as object), trustedDocuments: file }) })).rejects.toThrow(/is not the SHA-256 of its document/);
  });

  it('APQ: an unknown hash is PersistedQueryNotFound, then the document with its hash registers it', async () => {
    await using demo = await createInMemoryDemo({ edit: (raw) => void (raw['server'] = { ...(raw['server'] as object), persistedQueries: true }) });
    const send = async (body: unknown) => (await demo.gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(ORDER) } };
    expect(await send({ extensions })).toMatchObject({ errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'BAD_REQUEST', reason: 'persisted_query_not_found' } }] });
    expect(await send({ query: ORDER, extensions })).toEqual({ data: { order: { id: '1' } } });
    expect(await send({ extensions })).toEqual({ data: { order: { id: '1' } } });
    expect(await send({ query: '{ __typename }', extensions })).toMatchObject({ errors: [{ extensions: { reason: 'persisted_query_hash_mismatch' } }] });
  });

  it('APQ remembers a document only once it has passed validation, and none longer than 64 KiB (finding 5)', async () => {
    await using demo = await createInMemoryDemo({ edit: (raw) => void (raw['server'] = { ...(raw['server'] as object), persistedQueries: true }) });
    const send = async (body: unknown) => (await demo.gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
    const byHashOnly = (query: string) => send({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } });
    const notFound = { errors: [{ message: 'PersistedQueryNotFound' }] };
    for (const invalid of ['{ secretField }', `{ ${'__typename '.repeat(4_000)}}`]) {
      expect(await send({ query: invalid, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(invalid) } } })).toHaveProperty('errors');
      expect(await byHashOnly(invalid)).toMatchObject(notFound);
    }
    const long = `{ __typename }${' '.repeat(70_000)}`;
    expect(await send({ query: long, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(long) } } })).toEqual({ data: { __typename: 'Query' } });
    expect(await byHashOnly(long)).toMatchObject(notFound);
  });

  it('APQ keeps within its budget of characters, forgetting the least recently used documents first (finding 5)', async () => {
    const yoga = createYoga({ schema: createSchema({ typeDefs: 'type Query { a: Int }' }), plugins: [useAutomaticPersistedQueries({ maxTotalLength: 100 })], logging: false });
    const send = async (body: unknown) => (await yoga.fetch('http://yoga.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
    const documents = [0, 1, 2].map((i) => `query Q${i} { a }${' '.repeat(30)}`); // 43 characters each: two fit in 100
    for (const query of documents) expect(await send({ query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } })).toEqual({ data: { a: null } });
    const byHash = (query: string) => send({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } });
    expect(await byHash(documents[0]!)).toMatchObject({ errors: [{ message: 'PersistedQueryNotFound' }] });
    expect(await byHash(documents[1]!)).toEqual({ data: { a: null } });
    expect(await byHash(documents[2]!)).toEqual({ data: { a: null } });
  });

  it('yoga\'s parser cache is bounded by the length of the documents, not only their count (finding 5)', () => {
    const { documentCache, errorCache } = boundedParserCache({ maxTotalLength: 1_000 });
    const document = { kind: 'Document', definitions: [] } as never;
    for (let i = 0; i < 5; i++) documentCache.set(`{ __typename }#${i}${' '.repeat(300)}`, document);
    expect(documentCache.calculatedSize).toBeLessThanOrEqual(1_000);
    expect(documentCache.size).toBe(3);
    expect(documentCache.has(`{ __typename }#0${' '.repeat(300)}`)).toBe(false);
    errorCache.set('x'.repeat(2_000), new Error('too long to keep'));
    expect(errorCache.size).toBe(0);
  });
});
