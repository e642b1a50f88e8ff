import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SEED_QUERY, SEED_RESULT } from '../helpers/demo-gateway.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'interchange.js');
const children = new Set<ChildProcess>();

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts a long-running command and resolves with the URL it prints once ready. */
function start(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn' } });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const url = /(http:\/\/\S+\/graphql)/.exec(stdout)?.[1];
      if (url) resolve({ child, url });
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('exit', (code) => reject(new Error(`exited ${code} before ready: ${stderr}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

describe('the interchange CLI', () => {
  it('demo starts the backends and a gateway that answers the seed query, and stops cleanly on SIGTERM', async () => {
    const { child, url } = await start(['demo', '--port', '0']);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: SEED_QUERY }) });
    expect(await response.json()).toEqual({ data: SEED_RESULT });
    expect(await stop(child)).toBe(0);
  });

  it('check validates the demo config and prints the stitched schema', async () => {
    const { code, stdout } = await run(['check', '--config', 'interchange.yaml', '--print-schema']);
    expect(code).toBe(0);
    expect(stdout).toContain('OK, 4 sources');
    expect(stdout).toMatch(/orders \(grpc\): \d+ queries/);
    // Exactly what each source exposes, field by field, and what it simplified or left out.
    expect(stdout).toMatch(/Query\.order\s+← warehouse\.orders\.v1\.OrderService\/GetOrder/);
    expect(stdout).toMatch(/Subscription\.watchOrderStatus\s+← warehouse\.orders\.v1\.OrderService\/WatchOrderStatus/);
    expect(stdout).toMatch(/Query\.productsByIds\s+← productsByIds/);
    expect(stdout).toContain('    Query.reviewsByProduct');
    expect(stdout).toMatch(/order\(\s*("""[^"]*"""\s*)?id: String\s*\): Order/);
    expect(stdout).toContain('products: [Product]');
  });

  it('a bad config exits 1 naming the file, the key and the problem', async () => {
    using dir = tempDir();
    const file = dir.write('bad.yaml', 'sources:\n  - name: x\n    kind: openapi\n    spec: ./nope.yaml\n    endpoints: [http://127.0.0.1:1]\n');
    const { code, stderr } = await run(['serve', '--config', file]);
    expect(code).toBe(1);
    expect(stderr).toContain('CONFIG_INVALID');
    expect(stderr).toContain(`${file}: sources[0].spec: file not found`);
  });

  it('a broken spec exits 1 with SPEC_INVALID naming the spec file', async () => {
    using dir = tempDir();
    const spec = dir.write('broken.openapi.yaml', 'openapi: 3.0.3\ninfo: { title: t, version: "1" }\npaths:\n  /a:\n    get:\n      responses:\n        "200": { $ref: "#/components/responses/Nope" }\n');
    const file = dir.write('ok.yaml', `sources:\n  - name: x\n    kind: openapi\n    spec: ${spec}\n    endpoints: [http://127.0.0.1:1]\n`);
    const { code, stderr } = await run(['check', '--config', file]);
    expect(code).toBe(1);
    expect(stderr).toContain('SPEC_INVALID');
    expect(stderr).toContain(spec);
  });

  it('check reports an operations key that names no field, with its key path', async () => {
    using dir = tempDir();
    const spec = join(import.meta.dirname, '..', '..', 'schemas', 'reviews.graphql');
    const file = dir.write('typo.yaml', `sources:\n  - name: reviews\n    kind: graphql\n    schema: ${spec}\n    endpoints: [http://127.0.0.1:1/graphql]\n    operations:\n      reviewsByProdcut: { timeoutMs: 100 }\n`);
    const { code, stderr } = await run(['check', '--config', file]);
    expect(code).toBe(1);
    expect(stderr).toContain('CONFIG_INVALID');
    expect(stderr).toContain(`${file}: sources[0].operations.reviewsByProdcut: "reviews" has no field "reviewsByProdcut"`);
  });

  it('started as a command (its shebang, as npm links it), runs with the young generation sized for a gateway', async () => {
    using dir = tempDir();
    // A preload that reports the flags node was started with, then ends the process before the CLI runs.
    const preload = dir.write('report.cjs', "process.stdout.write(JSON.stringify(process.execArgv)); process.exit(0);");
    const execArgv = await new Promise<string>((resolve, reject) => {
      const child = spawn(bin, ['--help'], { cwd: root, env: { ...process.env, NODE_OPTIONS: `--require ${preload}` } });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
      child.on('error', reject);
      child.on('close', () => resolve(stdout));
    });
    expect(JSON.parse(execArgv)).toContain('--max-semi-space-size=32');
  });

  it('rejects unknown commands and flags with usage and exit 2', async () => {
    expect((await run(['frobnicate'])).code).toBe(2);
    const { code, stderr } = await run(['serve', '--config', 'x', '--colour']);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage');
  });
});
