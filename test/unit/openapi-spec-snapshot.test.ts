import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecInvalidError } from '../../src/errors.js';
import { convertOpenApi } from '../../src/sources/openapi/index.js';
import { openapiSource } from '../../src/sources/openapi/kind.js';
import { openapiSourceSchema, type OpenApiSourceConfig } from '../../src/sources/openapi/config.js';
import { parseSpecSnapshot, serializeSpecSnapshot } from '../../src/sources/openapi/spec-snapshot.js';

const fixtures = path.join(import.meta.dirname, '../fixtures/openapi');
const support = openapiSource.schemaSnapshot!;
// `.invalid` never resolves: a load that reached for the network would fail, so a passing load made no request.
const BASE = 'http://specs.invalid/api/';

function entry(fields: Partial<OpenApiSourceConfig> & { spec: string }): OpenApiSourceConfig {
  return openapiSourceSchema.parse({ name: 'remote', kind: 'openapi', endpoints: ['http://127.0.0.1:1'], ...fields });
}

/** The external-main/external-common fixture pair as a spec URL would have fetched them. */
function fetchedPair() {
  return new Map([
    [`${BASE}external-main.yaml`, { text: readFileSync(path.join(fixtures, 'external-main.yaml'), 'utf8'), json: false }],
    [`${BASE}external-common.yaml`, { text: readFileSync(path.join(fixtures, 'external-common.yaml'), 'utf8'), json: false }],
  ]);
}

describe('OpenAPI schema snapshots: which entries fetch, and the fingerprint', () => {
  it('snapshots a spec URL (http or https), never a spec file', () => {
    expect(support.fetches(entry({ spec: 'http://127.0.0.1:9/api.yaml' }))).toBe(true);
    expect(support.fetches(entry({ spec: 'https://specs.example.com/api.json' }))).toBe(true);
    expect(support.fetches(entry({ spec: path.join(fixtures, 'petstore.yaml') }))).toBe(false);
  });

  it('differs for another spec URL and stays for options applied at load (rename, prefix, exclude, endpoints, headers)', () => {
    const base = support.fingerprint(entry({ spec: `${BASE}external-main.yaml` }));
    expect(support.fingerprint(entry({ spec: `${BASE}external-main.yaml`, prefix: 'Ext', rename: { lastError: 'latestError' }, exclude: ['Error'], endpoints: ['http://127.0.0.1:2'], headers: { a: 'b' } }))).toBe(base);
    expect(support.fingerprint(entry({ spec: `${BASE}v2/external-main.yaml` }))).not.toBe(base);
    expect(support.fingerprint(entry({ spec: `https://specs.invalid/api/external-main.yaml` }))).not.toBe(base);
    // Another kind's fingerprint for the same URL is another fingerprint too.
    expect(base).not.toBe(JSON.stringify(['graphql', `${BASE}external-main.yaml`, false]));
  });
});

describe('OpenAPI schema snapshots: loading from one', () => {
  it('builds the same schema offline as from the documents themselves, the $ref-ed document included', async () => {
    const fromFiles = await convertOpenApi({ name: 'remote', specFile: path.join(fixtures, 'external-main.yaml') });
    const loaded = await support.load(entry({ spec: `${BASE}external-main.yaml` }), serializeSpecSnapshot(fetchedPair()));
    expect(loaded.converted.typeDefs).toBe(fromFiles.typeDefs);
    expect(loaded.converted.typeDefs).toContain('type Error {\n  code: Int\n  message: String\n}');
    expect([...loaded.converted.operations.keys()]).toEqual(['Query.lastError']);
    // A load from a snapshot fetched nothing, so it has nothing new to save.
    expect(loaded.schemaSnapshot).toBeUndefined();
  });

  it('applies the entry’s prefix and rename to the snapshot’s documents', async () => {
    const loaded = await support.load(entry({ spec: `${BASE}external-main.yaml`, prefix: 'Ext', rename: { lastError: 'latestError' } }), serializeSpecSnapshot(fetchedPair()));
    expect([...loaded.converted.operations.values()].map((op) => op.fieldName)).toEqual(['extLatestError']);
    expect(loaded.converted.typeDefs).toContain('type ExtError {');
  });

  it('keeps whether a document was read as JSON', async () => {
    const documents = new Map([[`${BASE}v31`, { text: readFileSync(path.join(fixtures, 'v31.json'), 'utf8'), json: true }]]);
    const parsed = parseSpecSnapshot(serializeSpecSnapshot(documents));
    expect(parsed).toEqual(documents);
    const fromFile = await convertOpenApi({ name: 'remote', specFile: path.join(fixtures, 'v31.json') });
    expect((await support.load(entry({ spec: `${BASE}v31` }), serializeSpecSnapshot(documents))).converted.typeDefs).toBe(fromFile.typeDefs);
  });

  it('a snapshot without a document the spec refers to is SPEC_INVALID naming the URL, and makes no request for it', async () => {
    const only = new Map([...fetchedPair()].filter(([url]) => url.endsWith('external-main.yaml')));
    const error: unknown = await support.load(entry({ spec: `${BASE}external-main.yaml` }), serializeSpecSnapshot(only)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SpecInvalidError);
    expect((error as SpecInvalidError).problems).toContainEqual({
      file: `${BASE}external-common.yaml`,
      at: '#',
      message: `the saved copy of the spec has no ${BASE}external-common.yaml`,
    });
  });

  it('refuses a snapshot text that is not one, saying why', () => {
    expect(() => parseSpecSnapshot('{"format":1,"documents":')).toThrow(/^the OpenAPI spec snapshot is not JSON \(/);
    expect(() => parseSpecSnapshot('"type Query { a: Int }"')).toThrow('the OpenAPI spec snapshot is not of format 1 (format null)');
    expect(() => parseSpecSnapshot('{"format":2,"documents":{}}')).toThrow('the OpenAPI spec snapshot is not of format 1 (format 2)');
    expect(() => parseSpecSnapshot('{"format":1,"documents":[]}')).toThrow('the OpenAPI spec snapshot has no `documents` mapping');
    expect(() => parseSpecSnapshot('{"format":1,"documents":{"http://a/x.yaml":{"json":false}}}')).toThrow("the OpenAPI spec snapshot's copy of http://a/x.yaml has no text");
  });
});
