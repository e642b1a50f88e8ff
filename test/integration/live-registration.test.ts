import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEnv } from '../../src/cli/demo.js';
import { startDemoBackends, type DemoBackends } from '../../src/demo/index.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { createLiveGateway, type LiveGateway } from '../../src/server/live-config.js';
import { SEED_QUERY, SEED_RESULT, type GraphqlBody } from '../helpers/demo-gateway.js';
import { startGraphqlRemote, type GraphqlRemote } from '../helpers/graphql-remote.js';
import { admin, demoConfigYaml, demoLinks } from '../helpers/live.js';
import { postQuery } from '../helpers/load.js';
import { tempDir } from '../helpers/temp-dir.js';

const GREETER_SDL = 'type Query { greeting(name: String): String }';

describe('registering sources through the admin API while the gateway serves', () => {
  let dir: ReturnType<typeof tempDir>;
  let backends: DemoBackends;
  let remote: GraphqlRemote;
  let live: LiveGateway;
  let server: RunningServer;

  beforeAll(async () => {
    dir = tempDir();
    backends = await startDemoBackends();
    remote = await startGraphqlRemote({ typeDefs: GREETER_SDL, resolvers: { Query: { greeting: (_: unknown, args: { name?: string }) => `hello ${args.name ?? 'you'}` } } });
    const file = dir.write('interchange.yaml', demoConfigYaml());
    live = await createLiveGateway({ file, env: { ...process.env, ...demoEnv(backends) } });
    server = await listen(live.gateway, { port: 0, host: '127.0.0.1' });
    live.listening(server.origin);
  });
  afterAll(async () => {
    await server?.close();
    await live?.[Symbol.asyncDispose]();
    await remote?.close();
    await backends?.close();
    dir?.[Symbol.dispose]();
  });

  const query = async (text: string) => (await postQuery(server.url, text)).body;

  it('adds a source, changes a link and removes the source under steady load without failing one request that does not touch it', async () => {
    // Steady load: workers send the seed query (orders, inventory, logistics, reviews) back to back until told to
    // stop; `phase` marks which change each response was sent during.
    let phase = 'before';
    let stop = false;
    const results: { phase: string; status: number; body: GraphqlBody }[] = [];
    const worker = async () => {
      for (let i = 0; i < 5_000 && !stop; i++) {
        const sentIn = phase;
        const { status, body } = await postQuery(server.url, SEED_QUERY);
        results.push({ phase: sentIn, status, body });
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, worker));
    const during = async (name: string, change: () => Promise<void>) => {
      const before = results.length;
      phase = name;
      await change();
      // Let the load run on the new generation for a while (bounded by count, not time).
      while (results.length < before + 30) await new Promise((resolve) => setTimeout(resolve, 5));
    };

    await during('add', async () => {
      const put = await admin(server.origin, 'PUT', 'sources/greeter', { kind: 'graphql', endpoints: [remote.url] });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expect(put.body['status']).toBe('applied');
      // The field answers right after the PUT returned: no polling.
      expect(await query('{ greeting(name: "ada") }')).toEqual({ data: { greeting: 'hello ada' } });
      expect((put.body['changes'] as { safe: { path: string }[] }).safe.map((c) => c.path)).toContain('Query.greeting');
    });

    await during('link', async () => {
      const links = `${demoLinks()}\nextend type Order {\n  greeting: String @delegate(source: "greeter", field: "greeting", args: { name: "$parent.customerId" })\n}\n`;
      const put = await admin(server.origin, 'PUT', 'links', links);
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expect(await query('{ order(id: "1") { id greeting } }')).toEqual({ data: { order: { id: '1', greeting: 'hello c-100' } } });
    });

    await during('remove', async () => {
      // The links still use the source: removing it is refused with the located problem, and nothing changes.
      const refused = await admin(server.origin, 'DELETE', 'sources/greeter');
      expect(refused.status).toBe(422);
      expect(refused.body.problems!.some((p) => p.message.includes('unknown source "greeter"'))).toBe(true);
      expect(await query('{ greeting }')).toEqual({ data: { greeting: 'hello you' } });

      expect((await admin(server.origin, 'PUT', 'links?force=true', demoLinks())).status).toBe(200);
      // Removing fields clients may use is a breaking change: listed, and refused without force.
      const breaking = await admin(server.origin, 'DELETE', 'sources/greeter');
      expect(breaking.status).toBe(409);
      expect(breaking.body.breaking!.map((c) => c.path)).toContain('Query.greeting');
      const removed = await admin(server.origin, 'DELETE', 'sources/greeter?force=true');
      expect(removed.status, JSON.stringify(removed.body)).toBe(200);
      expect((await query('{ greeting }')).errors?.[0]?.message).toContain('Cannot query field "greeting"');
    });
    stop = true;
    await load;

    for (const name of ['before', 'add', 'link', 'remove']) expect(results.filter((r) => r.phase === name).length, `responses during ${name}`).toBeGreaterThan(0);
    const failures = results.filter((r) => r.status !== 200 || r.body.errors !== undefined || JSON.stringify(r.body.data) !== JSON.stringify(SEED_RESULT));
    expect(failures.slice(0, 3)).toEqual([]);
  });

  it('lists the sources with where they came from, and serves the SDL', async () => {
    const put = await admin(server.origin, 'PUT', 'sources/greeter', { kind: 'graphql', endpoints: [remote.url] });
    expect(put.status).toBe(200);
    const listed = await admin(server.origin, 'GET', 'sources');
    const sources = listed.body['sources'] as { name: string; origin: string; schema: string }[];
    expect(sources.map((s) => [s.name, s.origin])).toEqual([
      ['inventory', 'file'],
      ['logistics', 'file'],
      ['orders', 'file'],
      ['reviews', 'file'],
      ['greeter', 'api'],
    ]);
    expect(sources.find((s) => s.name === 'greeter')!.schema).toBe('fetched');
    expect((await admin(server.origin, 'GET', 'sources/greeter')).body['entry']).toEqual({ kind: 'graphql', endpoints: [remote.url], name: 'greeter' });
    expect((await admin(server.origin, 'GET', 'sources/nope')).status).toBe(404);
    const sdl = await fetch(`${server.origin}/admin/api/schema`, { headers: { authorization: 'Bearer live-operation-admin-token' } });
    expect(await sdl.text()).toContain('greeting(name: String): String');
  });

  it('refuses a bad entry with every problem located in the body, and changes nothing', async () => {
    const version = live.version;
    const bad = await admin(server.origin, 'PUT', 'sources/pets', { kind: 'openapi', spec: '/nowhere/pets.yaml', endpoints: ['ftp://pets'], retries: 2 });
    expect(bad.status).toBe(422);
    expect(bad.body['code']).toBe('CONFIG_INVALID');
    expect(bad.body.problems!.map((p) => `${p.file}: ${p.at}: ${p.message}`)).toEqual(['PUT /admin/api/sources/pets: : unknown key "retries"']);
    const semantic = await admin(server.origin, 'PUT', 'sources/pets', { kind: 'openapi', spec: '/nowhere/pets.yaml', endpoints: ['ftp://pets'] });
    expect(semantic.body.problems!.map((p) => `${p.at}: ${p.message}`).sort()).toEqual(['endpoints[0]: "ftp://pets" must be an http:// or https:// URL', 'spec: file not found: /nowhere/pets.yaml']);
    // An inline spec that does not convert names the key it came in.
    const inline = await admin(server.origin, 'PUT', 'sources/pets', { kind: 'openapi', specText: 'openapi: 3.0.3\npaths: [not, a, map]\n', endpoints: [backends.inventory.url] });
    expect(inline.status).toBe(422);
    expect(inline.body['code']).toBe('SPEC_INVALID');
    expect(inline.body.problems![0]!.file).toBe('PUT /admin/api/sources/pets');
    expect(inline.body.problems![0]!.at).toMatch(/^specText/);
    expect((await admin(server.origin, 'PUT', 'sources/pets', '{not json')).status).toBe(400);
    expect(live.version).toBe(version);
    expect((await postQuery(server.url, SEED_QUERY)).body.data).toEqual(SEED_RESULT);
  });

  it('takes a spec inline, and keeps API changes across a restart', async () => {
    const specText = readFileSync(new URL('../../schemas/inventory.openapi.yaml', import.meta.url), 'utf8');
    const put = await admin(server.origin, 'PUT', 'sources/stock', { kind: 'openapi', specText, endpoints: [backends.inventory.url], prefix: 'Stock' });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect((await query('{ stockProduct(id: "p1") { name } }')).data).toEqual({ stockProduct: { name: 'Pallet jack' } });
    const stateDir = join(dir.path, '.interchange');
    expect(existsSync(join(stateDir, 'registered.yaml'))).toBe(true);

    // A new gateway over the same config file: the sources added through the API are there.
    await using again = await createLiveGateway({ file: join(dir.path, 'interchange.yaml'), env: { ...process.env, ...demoEnv(backends) }, watch: false });
    const response = await again.gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ stockProduct(id: "p1") { name } greeting }' }) });
    expect(await response.json()).toEqual({ data: { stockProduct: { name: 'Pallet jack' }, greeting: 'hello you' } });
  });
});
