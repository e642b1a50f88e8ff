import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import { ConfigInvalidError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

const SPEC = 'openapi: 3.0.3\ninfo: { title: t, version: "1" }\npaths: {}\n';

function configWith(dir: ReturnType<typeof tempDir>, yaml: string): string {
  dir.write('inventory.openapi.yaml', SPEC);
  dir.write('orders.proto', 'syntax = "proto3";\n');
  dir.write('links.graphql', 'extend type Query { x: Int }\n');
  return dir.write('interchange.yaml', yaml);
}

function problemsOf(run: () => unknown): { at: string; message: string; file: string }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect((error as ConfigInvalidError).code).toBe('CONFIG_INVALID');
    return (error as ConfigInvalidError).problems.map((p) => ({ at: p.at, message: p.message, file: p.file }));
  }
  throw new Error('expected ConfigInvalidError');
}

const VALID = `
server:
  port: 4100
sources:
  - name: inventory
    kind: openapi
    spec: ./inventory.openapi.yaml
    endpoints: [http://127.0.0.1:5101]
  - name: orders
    kind: grpc
    proto: ./orders.proto
    endpoints: [127.0.0.1:50151]
    rename: { getOrder: order }
  - name: reviews
    kind: graphql
    endpoints: [http://127.0.0.1:5103/graphql]
links: ./links.graphql
`;

describe('config loading', () => {
  it('accepts the documented shape, fills defaults, resolves paths and freezes the result', () => {
    using dir = tempDir();
    const config = loadConfigFile(configWith(dir, VALID), { env: {} });
    expect(config.server).toMatchObject({ port: 4100, host: '127.0.0.1', graphiql: true, requestTimeoutMs: 30_000 });
    expect(config.cache.store).toBe('memory');
    expect(config.sources.map((s) => s.name)).toEqual(['inventory', 'orders', 'reviews']);
    const inventory = config.sources[0]!;
    expect(inventory.kind === 'openapi' && inventory.spec).toBe(`${dir.path}/inventory.openapi.yaml`);
    expect(config.links).toBe(`${dir.path}/links.graphql`);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.sources[1])).toBe(true);
  });

  it('replaces ${VAR} and ${VAR:-default} from the environment', () => {
    using dir = tempDir();
    const file = configWith(dir, VALID.replace('http://127.0.0.1:5101', '"${INV_URL}"').replace('127.0.0.1:50151', '"${ORDERS:-127.0.0.1:6000}"'));
    const config = loadConfigFile(file, { env: { INV_URL: 'http://10.0.0.1:80' } });
    expect(config.sources[0]!.endpoints).toEqual(['http://10.0.0.1:80']);
    expect(config.sources[1]!.endpoints).toEqual(['127.0.0.1:6000']);
  });

  it('names an unset variable with its key path', () => {
    using dir = tempDir();
    const file = configWith(dir, VALID.replace('http://127.0.0.1:5101', '"${NOPE}"'));
    expect(problemsOf(() => loadConfigFile(file, { env: {} }))).toEqual([
      { file, at: 'sources[0].endpoints[0]', message: expect.stringContaining('NOPE is not set') },
    ]);
  });

  it('reports every problem at once, each with the file and key path', () => {
    using dir = tempDir();
    const file = configWith(
      dir,
      `
server:
  port: "eighty"
  colour: blue
sources:
  - name: inventory
    kind: openapi
    endpoints: []
  - name: orders
    kind: soap
    endpoints: [x]
`,
    );
    const problems = problemsOf(() => loadConfigFile(file, { env: {} }));
    const at = problems.map((p) => p.at);
    expect(at).toContain('server.port');
    expect(at).toContain('server');
    expect(problems.find((p) => p.at === 'server')!.message).toContain('"colour"');
    expect(at).toContain('sources[0].spec');
    expect(at).toContain('sources[0].endpoints');
    expect(at).toContain('sources[1].kind');
    expect(problems.every((p) => p.file === file)).toBe(true);
  });

  it('rejects duplicate source names, missing files and malformed endpoints', () => {
    using dir = tempDir();
    const file = configWith(
      dir,
      `
sources:
  - name: inventory
    kind: openapi
    spec: ./missing.yaml
    endpoints: [not a url]
  - name: inventory
    kind: grpc
    proto: ./orders.proto
    endpoints: ["http://x/y"]
    includeDirs: [./nowhere]
links: ./absent.graphql
`,
    );
    const problems = problemsOf(() => loadConfigFile(file, { env: {} }));
    expect(problems).toEqual(
      expect.arrayContaining([
        { file, at: 'sources[1].name', message: 'duplicate source name "inventory" (first used at sources[0])' },
        { file, at: 'sources[0].spec', message: expect.stringContaining('file not found') },
        { file, at: 'sources[0].endpoints[0]', message: '"not a url" is not a URL' },
        { file, at: 'sources[1].endpoints[0]', message: expect.stringContaining('not a gRPC target') },
        { file, at: 'sources[1].includeDirs[0]', message: expect.stringContaining('directory not found') },
        { file, at: 'links', message: expect.stringContaining('file not found') },
      ]),
    );
  });

  it('rejects unknown keys inside a source, naming them', () => {
    using dir = tempDir();
    const file = configWith(dir, VALID.replace('rename: { getOrder: order }', 'renames: { getOrder: order }'));
    expect(problemsOf(() => loadConfigFile(file, { env: {} }))).toEqual([{ file, at: 'sources[1]', message: 'unknown key "renames"' }]);
  });

  it('rejects an invalid rename target', () => {
    using dir = tempDir();
    const file = configWith(dir, VALID.replace('rename: { getOrder: order }', 'rename: { getOrder: "the order" }'));
    expect(problemsOf(() => loadConfigFile(file, { env: {} }))).toEqual([{ file, at: 'sources[1].rename.getOrder', message: 'must be a valid GraphQL name' }]);
  });

  it('reports YAML syntax errors with a line', () => {
    using dir = tempDir();
    const file = dir.write('bad.yaml', 'sources:\n  - name: [unclosed\n');
    const problems = problemsOf(() => loadConfigFile(file, { env: {} }));
    expect(problems[0]!.at).toMatch(/^line \d+, column \d+$/);
  });

  it('reports a missing config file and a config that is not a mapping', () => {
    using dir = tempDir();
    expect(problemsOf(() => loadConfigFile(`${dir.path}/nope.yaml`))).toEqual([{ file: `${dir.path}/nope.yaml`, at: '', message: 'file not found' }]);
    const file = dir.write('list.yaml', '- 1\n- 2\n');
    expect(problemsOf(() => loadConfigFile(file, { env: {} }))[0]!.at).toBe('');
  });

  it('requires at least one source', () => {
    using dir = tempDir();
    const file = dir.write('empty.yaml', 'sources: []\n');
    expect(problemsOf(() => loadConfigFile(file, { env: {} }))).toEqual([{ file, at: 'sources', message: 'needs at least one source' }]);
  });

  it('accepts replicas as objects with weights and groups, with routes and the resilience keys', () => {
    using dir = tempDir();
    const file = configWith(
      dir,
      VALID.replace(
        'endpoints: [http://127.0.0.1:5101]',
        `endpoints: [http://127.0.0.1:5101, { url: "http://127.0.0.1:5104", weight: 2, group: canary }]
    balance: weighted
    groups: { default: 95, canary: 5 }
    route: [{ header: X-Canary, equals: "1", group: canary }]
    health: { failures: 3, active: { path: /healthz, intervalMs: 5000 } }
    breaker: { errorPercent: 25, openMs: 1000 }
    retry: { attempts: 1, hedgeAfterMs: 200 }
    backpressure: { maxInFlight: 10, maxQueued: 0 }
    operations: { products: { fallback: [], idempotent: true } }`,
      ),
    );
    const inventory = loadConfigFile(file, { env: {} }).sources[0]!;
    expect(inventory.endpoints).toEqual(['http://127.0.0.1:5101', { url: 'http://127.0.0.1:5104', weight: 2, group: 'canary' }]);
    expect(inventory.route).toEqual([{ header: 'x-canary', equals: '1', group: 'canary' }]);
    expect(inventory.operations?.['products']).toEqual({ fallback: [], idempotent: true });
  });

  it('reports every resilience mistake at once: unknown groups, bad endpoints, checks the kind cannot make, fallbacks a remote GraphQL source cannot serve', () => {
    using dir = tempDir();
    const file = configWith(
      dir,
      VALID.replace(
        'endpoints: [http://127.0.0.1:5101]',
        `endpoints: [http://127.0.0.1:5101, { url: "nope", group: canary }, http://127.0.0.1:5101]
    balance: random
    groups: { stable: 100 }
    route: [{ header: x-canary, equals: "1", group: blue }]
    health: { active: { intervalMs: 5000 } }`,
      )
        .replace('endpoints: [127.0.0.1:50151]', 'endpoints: [127.0.0.1:50151]\n    health: { active: { path: /healthz } }')
        .replace('endpoints: [http://127.0.0.1:5103/graphql]', 'endpoints: [http://127.0.0.1:5103/graphql]\n    operations: { reviews: { fallback: [] } }'),
    );
    const problems = problemsOf(() => loadConfigFile(file, { env: {} }));
    expect(problems.map((p) => p.at)).toEqual(['sources[0].balance']);
    const fixed = file.replace('.yaml', '-2.yaml');
    dir.write(fixed.split('/').pop()!, readFileSync(file, 'utf8').replace('balance: random', 'balance: weighted'));
    expect(problemsOf(() => loadConfigFile(fixed, { env: {} }))).toEqual([
      { file: fixed, at: 'sources[0].endpoints[1].url', message: '"nope" is not a URL' },
      { file: fixed, at: 'sources[0].endpoints[2]', message: '"http://127.0.0.1:5101" is listed twice' },
      { file: fixed, at: 'sources[0].groups.stable', message: 'no endpoint is in group "stable" (groups: "default", "canary")' },
      { file: fixed, at: 'sources[0].route[0].group', message: 'no endpoint is in group "blue" (groups: "default", "canary")' },
      { file: fixed, at: 'sources[0].health.active.path', message: 'an HTTP health check needs the path to poll, e.g. /healthz' },
      {
        file: fixed,
        at: 'sources[1].health.active.path',
        message: 'gRPC replicas are checked with grpc.health.v1.Health/Check: give `service` (or nothing), not `path`',
      },
      { file: fixed, at: 'sources[2].operations.reviews.fallback', message: 'a remote GraphQL source takes whole documents: fallbacks are for REST and gRPC operations' },
    ]);
  });
});
