import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { LiveOutcome } from '../../src/admin/live-routes.js';
import { demoEnv } from '../../src/cli/demo.js';
import { startDemoBackends, type DemoBackends } from '../../src/demo/index.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { createLiveGateway, type LiveGateway } from '../../src/server/live-config.js';
import { admin, demoConfigYaml, eventually } from '../helpers/live.js';
import { postQuery } from '../helpers/load.js';
import { tempDir } from '../helpers/temp-dir.js';

const INVENTORY_SPEC = readFileSync(new URL('../../schemas/inventory.openapi.yaml', import.meta.url), 'utf8');

/** The inventory spec with one more GET operation (`/products/{id}/stock-level`, answered 404 by the demo backend). */
function specWithStockLevel(): string {
  const spec = parseYaml(INVENTORY_SPEC) as { paths: Record<string, unknown> };
  spec.paths['/products/{id}/stock-level'] = {
    get: {
      operationId: 'stockLevel',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'integer' } } } } },
    },
  };
  return toYaml(spec);
}

describe('every input of the config is watched', () => {
  let dir: ReturnType<typeof tempDir>;
  let backends: DemoBackends;
  let live: LiveGateway;
  let server: RunningServer;
  const outcomes: LiveOutcome[] = [];
  const configWith = (edit: (raw: Record<string, unknown>) => void = () => {}) =>
    demoConfigYaml((raw) => {
      const inventory = (raw['sources'] as Record<string, unknown>[]).find((s) => s['name'] === 'inventory')!;
      inventory['spec'] = './inventory.openapi.yaml';
      raw['reload'] = { debounceMs: 50, settleMs: 100 };
      edit(raw);
    });

  beforeAll(async () => {
    dir = tempDir();
    backends = await startDemoBackends();
    dir.write('inventory.openapi.yaml', INVENTORY_SPEC);
    const file = dir.write('interchange.yaml', configWith());
    live = await createLiveGateway({ file, env: { ...process.env, ...demoEnv(backends) }, onOutcome: (o) => outcomes.push(o) });
    server = await listen(live.gateway, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server?.close();
    await live?.[Symbol.asyncDispose]();
    await backends?.close();
    dir?.[Symbol.dispose]();
  });

  const hasField = async (field: string) => ((await postQuery(server.url, `{ __type(name: "Query") { fields { name } } }`)).body.data as { __type: { fields: { name: string }[] } }).__type.fields.some((f) => f.name === field);

  it('applies an edit of a spec file without a restart', async () => {
    expect(await hasField('stockLevel')).toBe(false);
    dir.write('inventory.openapi.yaml', specWithStockLevel());
    await eventually('the new operation', () => hasField('stockLevel'));
    expect(live.lastOutcome).toMatchObject({ status: 'applied', trigger: 'file' });
    expect(live.lastOutcome.changes?.safe.map((c) => c.path)).toContain('Query.stockLevel');
  });

  it('refuses a broken spec and an invalid config with their located errors, the old generation serving on', async () => {
    const version = live.version;
    const seen = outcomes.length;
    dir.write('inventory.openapi.yaml', 'openapi: 3.0.3\ninfo: { title: x, version: "1" }\npaths: [not, a, map]\n');
    await eventually('the refusal of the broken spec', () => outcomes.length > seen);
    const broken = outcomes.at(-1)!;
    expect(broken).toMatchObject({ status: 'invalid', trigger: 'file', code: 'SPEC_INVALID' });
    expect(broken.problems![0]!.file).toBe(`${dir.path}/inventory.openapi.yaml`);
    expect(await hasField('stockLevel')).toBe(true);

    // Back to what serves: nothing to reload (a digest of every input says so).
    dir.write('inventory.openapi.yaml', specWithStockLevel());
    const before = outcomes.length;
    dir.write('interchange.yaml', configWith((raw) => ((raw['server'] as Record<string, unknown>)['requestTimeoutMs'] = -5)));
    await eventually('the refusal of the invalid config', () => outcomes.length > before);
    expect(outcomes.at(-1)).toMatchObject({ status: 'invalid', code: 'CONFIG_INVALID' });
    expect(outcomes.at(-1)!.problems!.map((p) => p.at)).toEqual(['server.requestTimeoutMs']);
    // The admin status says what the last reload did.
    const status = await admin(server.origin, 'GET', 'status');
    expect((status.body['live'] as { lastOutcome: LiveOutcome }).lastOutcome.problems![0]!.at).toBe('server.requestTimeoutMs');
    expect(live.version).toBe(version);
    expect((await postQuery(server.url, '{ product(id: "p1") { name } }')).body.data).toEqual({ product: { name: 'Pallet jack' } });
  });

  it('reads a truncated config as a pause, not a failure, when the good one follows', async () => {
    const { writeFileSync } = await import('node:fs');
    const before = outcomes.length;
    const file = `${dir.path}/interchange.yaml`;
    // What some editors do: truncate in place, then write the new content.
    writeFileSync(file, '');
    await new Promise((resolve) => setTimeout(resolve, 60));
    writeFileSync(file, configWith((raw) => ((raw['limits'] as Record<string, unknown> | undefined) ?? (raw['limits'] = { maxDepth: 4 }))));
    await eventually('the reload', () => outcomes.length > before);
    expect(outcomes.slice(before).map((o) => o.status)).toEqual(['applied']);
  });

  it('applies query limits live', async () => {
    // The config now says limits.maxDepth: 4 (previous test).
    const deep = '{ order(id: "1") { products { reviews { product { reviews { rating } } } } } }';
    expect((await postQuery(server.url, deep)).body.errors?.[0]?.extensions?.['code']).toBe('QUERY_TOO_COMPLEX');
    const before = outcomes.length;
    dir.write('interchange.yaml', configWith((raw) => (raw['limits'] = { maxDepth: 10 })));
    await eventually('the reload', () => outcomes.length > before);
    expect((await postQuery(server.url, deep)).body.errors).toBeUndefined();
  });

  it('refuses a breaking file edit with reload.allowBreaking: false, listing what breaks; POST reload?force=true applies it', async () => {
    const allowBreakingOff = (extra: (raw: Record<string, unknown>) => void = () => {}) =>
      configWith((raw) => {
        raw['limits'] = { maxDepth: 10 };
        raw['reload'] = { debounceMs: 50, settleMs: 100, allowBreaking: false };
        extra(raw);
      });
    let before = outcomes.length;
    dir.write('interchange.yaml', allowBreakingOff());
    await eventually('the reload', () => outcomes.length > before);
    expect(outcomes.at(-1)!.status).toBe('applied');
    before = outcomes.length;
    const renamed = allowBreakingOff((raw) => ((raw['sources'] as Record<string, unknown>[]).find((s) => s['name'] === 'orders')!['rename'] = { getOrder: 'purchase', listOrders: 'orders' }));
    dir.write('interchange.yaml', renamed);
    await eventually('the refusal', () => outcomes.length > before);
    expect(outcomes.at(-1)!.status).toBe('refused');
    expect(outcomes.at(-1)!.changes!.breaking.map((c) => c.path)).toContain('Query.order');
    expect((await postQuery(server.url, '{ order(id: "1") { id } }')).body.data).toEqual({ order: { id: '1' } });

    const forced = await admin(server.origin, 'POST', 'reload?force=true');
    expect(forced.status, JSON.stringify(forced.body)).toBe(200);
    expect((await postQuery(server.url, '{ purchase(id: "1") { id } }')).body.data).toEqual({ purchase: { id: '1' } });
  });
});
