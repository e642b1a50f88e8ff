import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
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
});
