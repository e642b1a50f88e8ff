import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { SpecInvalidError } from '../../src/errors.js';
import { listen } from '../../src/server/listen.js';
import { createLiveGateway } from '../../src/server/live-config.js';
import { startHttpBackend, type HttpBackend } from '../helpers/flaky-source.js';
import { ADMIN_TOKEN, admin, eventually } from '../helpers/live.js';
import { postQuery } from '../helpers/load.js';
import { tempDir } from '../helpers/temp-dir.js';

// The item's schema is in a second document, fetched beside the spec: the snapshot must carry both.
const API_YAML = `openapi: 3.0.3
info: { title: Inventory, version: '1' }
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        '200':
          description: the item
          content: { application/json: { schema: { $ref: 'common.yaml#/components/schemas/Item' } } }
`;
const COMMON_YAML = `components:
  schemas:
    Item:
      type: object
      properties:
        id: { type: string }
        name: { type: string }
`;

/**
 * A real HTTP server publishing the spec documents under /specs/ and /v2/; `up` false makes it answer 503, `broken`
 * true publishes a spec whose `$ref` points to nothing.
 */
async function startSpecServer(): Promise<HttpBackend & AsyncDisposable & { up: boolean; broken: boolean; requests: string[] }> {
  const state = { up: true, broken: false, requests: [] as string[] };
  const server = await startHttpBackend((request, response) => {
    state.requests.push(request.url ?? '');
    const name = (request.url ?? '').split('/').pop();
    const api = state.broken ? API_YAML.replace('schemas/Item', 'schemas/Nope') : API_YAML;
    const text = name === 'api.yaml' ? api : name === 'common.yaml' ? COMMON_YAML : undefined;
    if (!state.up) response.writeHead(503).end('down for maintenance');
    else if (text === undefined) response.writeHead(404).end();
    else response.writeHead(200, { 'content-type': 'application/yaml' }).end(text);
  });
  return Object.assign(state, server, { [Symbol.asyncDispose]: server.close });
}

/** The inventory backend (stays up throughout): `GET /items/{id}`, counting calls. */
async function startInventory(): Promise<HttpBackend & AsyncDisposable & { calls: number }> {
  const counter = { calls: 0 };
  const server = await startHttpBackend((request, response) => {
    counter.calls++;
    const id = decodeURIComponent((request.url ?? '').split('/').pop() ?? '');
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, name: `item ${id}` }));
  });
  return Object.assign(counter, server, { [Symbol.asyncDispose]: server.close });
}

/**
 * Writes interchange.yaml in `dir` (state in `<dir>/.interchange`): the source `inv` as given, and `local`, the
 * same spec from files (prefix `Local`), which is never snapshotted and keeps the gateway serving without `inv`.
 */
function writeConfig(dir: ReturnType<typeof tempDir>, source: Record<string, unknown>): string {
  dir.write('local/common.yaml', COMMON_YAML);
  const local = { name: 'local', kind: 'openapi', spec: dir.write('local/api.yaml', API_YAML), prefix: 'Local', endpoints: source['endpoints'] };
  return dir.write(
    'interchange.yaml',
    toYaml({ admin: { token: ADMIN_TOKEN }, reload: { retryMinMs: 50, retryMaxMs: 200 }, sources: [{ name: 'inv', kind: 'openapi', ...source }, local] }),
  );
}

type SourceRow = { name: string; schema: string };

describe('an OpenAPI source whose spec URL is down', () => {
  it('starts from the snapshot of the spec (and its $ref-ed document) fetched by an earlier start, and serves the backend', async () => {
    using dir = tempDir();
    await using inventory = await startInventory();
    const specs = await startSpecServer();
    const file = writeConfig(dir, { spec: `${specs.url}/specs/api.yaml`, endpoints: [inventory.url] });
    const snapshotFile = join(dir.path, '.interchange', 'snapshots', 'inv.json');
    {
      await using first = await createLiveGateway({ file, watch: false });
      expect(first.gateway.current.origins.get('inv')).toBe('fetched');
    }
    expect(specs.requests).toEqual(['/specs/api.yaml', '/specs/common.yaml']);
    expect(existsSync(snapshotFile)).toBe(true);
    expect(readdirSync(join(dir.path, '.interchange', 'snapshots'))).toEqual(['inv.json']);

    // The spec server is gone (connections refused); the backend is still up.
    await specs.close();
    await using live = await createLiveGateway({ file, watch: false });
    await using server = await listen(live.gateway, { port: 0, host: '127.0.0.1' });
    expect(live.gateway.current.origins.get('inv')).toBe('snapshot');
    expect(live.gateway.current.missing).toEqual([]);
    const answer = await postQuery(server.url, '{ getItem(id: "7") { id name } }');
    expect(answer.body).toEqual({ data: { getItem: { id: '7', name: 'item 7' } } });
    expect(inventory.calls).toBe(1);

    const sources = (await admin(server.origin, 'GET', 'sources')).body['sources'] as SourceRow[];
    expect(sources.map(({ name, schema }) => ({ name, schema }))).toEqual([
      { name: 'inv', schema: 'snapshot' },
      { name: 'local', schema: 'spec' },
    ]);
    const status = await admin(server.origin, 'GET', 'status');
    expect((status.body['sources'] as SourceRow[]).find((s) => s.name === 'inv')?.schema).toBe('snapshot');
    expect(status.body['missingSources']).toEqual([]);
  });

  it('reports a spec that was fetched and is invalid, with every problem located, rather than hiding it behind the snapshot', async () => {
    using dir = tempDir();
    await using inventory = await startInventory();
    await using specs = await startSpecServer();
    const file = writeConfig(dir, { spec: `${specs.url}/specs/api.yaml`, endpoints: [inventory.url] });
    {
      await using first = await createLiveGateway({ file, watch: false });
      expect(first.gateway.current.origins.get('inv')).toBe('fetched');
    }
    specs.broken = true;
    const refused = await createLiveGateway({ file, watch: false }).then(
      () => undefined,
      (error: unknown) => error as SpecInvalidError,
    );
    expect(refused).toBeInstanceOf(SpecInvalidError);
    expect(refused!.problems).toEqual([
      { file: `${specs.url}/specs/api.yaml`, at: '#/paths/~1items~1{id}/get/responses/200/content/application~1json/schema/$ref', message: expect.stringContaining('Nope') as unknown },
    ]);
  });

  it('applies the entry’s current prefix to the snapshot: options are not part of the fingerprint', async () => {
    using dir = tempDir();
    await using inventory = await startInventory();
    await using specs = await startSpecServer();
    const spec = `${specs.url}/specs/api.yaml`;
    {
      await using first = await createLiveGateway({ file: writeConfig(dir, { spec, endpoints: [inventory.url] }), watch: false });
      expect(first.gateway.current.origins.get('inv')).toBe('fetched');
    }
    specs.up = false;
    await using live = await createLiveGateway({ file: writeConfig(dir, { spec, endpoints: [inventory.url], prefix: 'Inv' }), watch: false });
    await using server = await listen(live.gateway, { port: 0, host: '127.0.0.1' });
    expect(live.gateway.current.origins.get('inv')).toBe('snapshot');
    expect((await postQuery(server.url, '{ invGetItem(id: "3") { __typename name } }')).body).toEqual({ data: { invGetItem: { __typename: 'InvItem', name: 'item 3' } } });
    // It was asked, and answered 503, before the snapshot stood in.
    expect(specs.requests.at(-1)).toBe('/specs/api.yaml');
  });

  it('never uses a snapshot taken for another spec URL: the source is left out, saying why', async () => {
    using dir = tempDir();
    await using inventory = await startInventory();
    await using specs = await startSpecServer();
    {
      await using first = await createLiveGateway({ file: writeConfig(dir, { spec: `${specs.url}/specs/api.yaml`, endpoints: [inventory.url] }), watch: false });
      expect(first.gateway.current.origins.get('inv')).toBe('fetched');
    }
    specs.up = false;
    await using live = await createLiveGateway({ file: writeConfig(dir, { spec: `${specs.url}/v2/api.yaml`, endpoints: [inventory.url] }), watch: false });
    await using server = await listen(live.gateway, { port: 0, host: '127.0.0.1' });
    expect(live.gateway.current.origins.has('inv')).toBe(false);
    expect(live.gateway.current.missing).toEqual([
      {
        name: 'inv',
        reason: `cannot fetch the spec: ${specs.url}/v2/api.yaml answered 503; the saved schema snapshot was taken for another entry (its endpoint, spec URL or options differ): not used`,
      },
    ]);
    const sources = (await admin(server.origin, 'GET', 'sources')).body['sources'] as SourceRow[];
    expect(sources.map(({ name, schema }) => ({ name, schema }))).toEqual([
      { name: 'inv', schema: 'missing' },
      { name: 'local', schema: 'spec' },
    ]);
    const answer = await postQuery(server.url, '{ getItem(id: "1") { id } }');
    expect(answer.body.errors?.[0]?.message).toContain('Cannot query field "getItem"');
    expect(inventory.calls).toBe(0);
    // The rest serves.
    expect((await postQuery(server.url, '{ localGetItem(id: "1") { name } }')).body).toEqual({ data: { localGetItem: { name: 'item 1' } } });
  });

  it('ignores a corrupt snapshot file with a clear reason, and loads the source once the spec is back', async () => {
    using dir = tempDir();
    await using inventory = await startInventory();
    await using specs = await startSpecServer();
    const file = writeConfig(dir, { spec: `${specs.url}/specs/api.yaml`, endpoints: [inventory.url] });
    const snapshotFile = join(dir.path, '.interchange', 'snapshots', 'inv.json');
    {
      await using first = await createLiveGateway({ file, watch: false });
      expect(first.gateway.current.origins.get('inv')).toBe('fetched');
    }
    specs.up = false;
    const saved = readFileSync(snapshotFile, 'utf8');

    // Cut short, as a crash in the middle of a write by another program would leave it.
    writeFileSync(snapshotFile, saved.slice(0, saved.length / 2));
    {
      await using live = await createLiveGateway({ file, watch: false });
      const [missing] = live.gateway.current.missing;
      expect(missing?.name).toBe('inv');
      expect(missing?.reason).toMatch(new RegExp(`^cannot fetch the spec: .* answered 503; the snapshot file ${snapshotFile} is not JSON \\(.*\\): not used$`));
    }

    // A well-formed snapshot with the right fingerprint whose spec copy is damaged.
    const envelope = JSON.parse(saved) as { fingerprint: string; text: string };
    writeFileSync(snapshotFile, JSON.stringify({ ...envelope, text: envelope.text.replace('"documents"', '"docs"') }));
    await using live = await createLiveGateway({ file, watch: false });
    await using server = await listen(live.gateway, { port: 0, host: '127.0.0.1' });
    expect(live.gateway.current.missing).toEqual([
      { name: 'inv', reason: expect.stringMatching(/answered 503; the saved schema snapshot cannot be loaded \(the OpenAPI spec snapshot has no `documents` mapping\): not used$/) as unknown },
    ]);
    expect((await admin(server.origin, 'GET', 'status')).body['missingSources']).toEqual(live.gateway.current.missing);

    // The spec is served again: the background retry loads the source and saves a good snapshot over the bad one.
    specs.up = true;
    await eventually('the inv source', async () => (await postQuery(server.url, '{ getItem(id: "2") { name } }')).body.data?.['getItem'] !== undefined);
    expect((await postQuery(server.url, '{ getItem(id: "2") { name } }')).body).toEqual({ data: { getItem: { name: 'item 2' } } });
    expect(live.gateway.current.origins.get('inv')).toBe('fetched');
    expect(JSON.parse(readFileSync(snapshotFile, 'utf8'))).toMatchObject({ fingerprint: envelope.fingerprint, text: envelope.text });
  });
});
