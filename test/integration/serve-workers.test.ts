import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEnv } from '../../src/cli/demo.js';
import { startDemoBackends, type DemoBackends } from '../../src/demo/index.js';
import { startGraphqlRemote, type GraphqlRemote } from '../helpers/graphql-remote.js';
import { ADMIN_TOKEN, demoConfigYaml, eventually } from '../helpers/live.js';
import { startGatewayProcess } from '../helpers/processes.js';
import { parsePrometheusText, samplesOf, sumOf } from '../helpers/prometheus-text.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = join(import.meta.dirname, '..', '..');
/** Which worker answered a response. */
const workerOf = (answer: Answer) => Number(answer.headers['x-interchange-worker']);
const METRICS_TOKEN = 'a-metrics-token-of-16+chars';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * One HTTP request on a connection of its own: the cluster module hands connections (not requests) to the
 * workers in turn, so requests on new connections are spread over them.
 */
function fresh(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text, json: <T,>() => JSON.parse(text) as T }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The request log lines the workers wrote so far: each names its worker and pid. */
function requestLines(output: string): { requestId: string; worker: number; pid: number; status: number; errors?: string[] }[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"msg":"request"'))
    .map((line) => JSON.parse(line) as { requestId: string; worker: number; pid: number; status: number; errors?: string[] });
}

function countBy<T>(items: readonly T[], key: (item: T) => string | number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[String(key(item))] = (counts[String(key(item))] ?? 0) + 1;
  return counts;
}

/** The JSON log lines with message `msg` the processes wrote so far. */
function logLines(output: string, msg: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(`"msg":${JSON.stringify(msg)}`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const HOLD_START = pathToFileURL(join(root, 'test/fixtures/hold-worker-start.mjs')).href;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface WorkerStatus {
  worker: { index: number; count: number; pid: number };
  sources: { name: string }[];
  live: { version: number; lastOutcome: { trigger: string; status: string; at: string } };
}

describe('interchange serve --workers 2', () => {
  let dir: ReturnType<typeof tempDir>;
  let backends: DemoBackends;
  let slow: GraphqlRemote;
  let greeter: GraphqlRemote;
  let release!: () => void;
  let node: Awaited<ReturnType<typeof startGatewayProcess>>;
  let origin: string;
  let file: string;
  let hold: string;
  const configText = (shutdownGraceMs: number) =>
    demoConfigYaml((raw) => {
      (raw['sources'] as Record<string, unknown>[]).push({ name: 'slow', kind: 'graphql', endpoints: [slow.url], timeoutMs: 60_000 });
      raw['server'] = { ...(raw['server'] as object), trustProxy: true, shutdownGraceMs, shutdownTimeoutMs: 30_000 };
      raw['admin'] = { token: ADMIN_TOKEN, metricsToken: METRICS_TOKEN };
      raw['rateLimits'] = [{ by: 'operation', operation: 'product', points: 10, windowSeconds: 600 }];
      raw['abuse'] = { probingMinFailures: 20, probingFailureRatio: 0.5, throttledPoints: 1, throttledWindowSeconds: 600 };
    });
  const scrape = () => fresh(`${origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });

  const graphql = (query: string, headers: Record<string, string> = {}) =>
    fresh(node.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers }, body: JSON.stringify({ query }) });
  const adminApi = (method: string, path: string, body?: unknown) =>
    fresh(`${origin}/admin/api/${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  /** Asks the status on new connections until each worker has answered one that satisfies `check`. */
  const everyWorker = (what: string, check: (status: WorkerStatus) => boolean) => {
    const satisfied = new Set<number>();
    return eventually(what, async () => {
      const status = (await adminApi('GET', 'status')).json<WorkerStatus>();
      if (check(status)) satisfied.add(status.worker.index);
      return satisfied.size === 2;
    });
  };
  const pidsByWorker = async () => {
    const pids = new Map<number, number>();
    await eventually('both workers answering the status', async () => {
      const { worker } = (await adminApi('GET', 'status')).json<WorkerStatus>();
      pids.set(worker.index, worker.pid);
      return pids.size === 2;
    });
    return pids;
  };

  beforeAll(async () => {
    dir = tempDir();
    backends = await startDemoBackends();
    const gate = new Promise<void>((resolve) => (release = resolve));
    slow = await startGraphqlRemote({ typeDefs: 'type Query { slow: String }', resolvers: { Query: { slow: async () => (await gate, 'done') } } });
    greeter = await startGraphqlRemote({ typeDefs: 'type Query { greeting(name: String): String }', resolvers: { Query: { greeting: (_: unknown, args: { name?: string }) => `hello ${args.name ?? 'you'}` } } });
    file = dir.write('interchange.yaml', configText(0));
    hold = join(dir.path, 'hold-start');
    node = await startGatewayProcess(file, { ...demoEnv(backends), LOG_LEVEL: 'info', NODE_OPTIONS: `--import ${HOLD_START}`, INTERCHANGE_TEST_HOLD_START: hold }, { workers: 2 });
    origin = node.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    release?.();
    await node?.kill();
    await slow?.close();
    await greeter?.close();
    await backends?.close();
    dir?.[Symbol.dispose]();
  });

  it('serves from both workers: requests on new connections are answered by each, as the header and the request log line say', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => graphql('{ order(id: "1") { id } }', { 'x-request-id': `spread-${i}` })));
    for (const answer of answers) expect(answer.json()).toEqual({ data: { order: { id: '1' } } });
    const byHeader = countBy(answers, workerOf);
    expect(Object.keys(byHeader).sort()).toEqual(['1', '2']);
    await eventually('the 20 request lines', () => requestLines(node.output()).filter((l) => l.requestId.startsWith('spread-')).length === 20);
    const lines = requestLines(node.output()).filter((l) => l.requestId.startsWith('spread-'));
    expect(countBy(lines, (l) => l.worker)).toEqual(byHeader);
    // Two processes, neither of them the primary.
    const pids = new Set(lines.map((l) => l.pid));
    expect(pids.size).toBe(2);
    expect(pids.has(node.pid)).toBe(false);
  });

  it('answers /metrics from either worker with the sum of both workers\' counts, per-worker process series, and the metrics token', async () => {
    const served = requestLines(node.output()).length;
    expect((await fresh(`${origin}/metrics`)).status).toBe(401);
    const scrapedBy = new Set<number>();
    // Scrapes on new connections until each worker has answered one: every answer is the machine's.
    await eventually('a scrape answered by each worker', async () => {
      const answer = await fresh(`${origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(answer.status).toBe(200);
      const families = parsePrometheusText(answer.text);
      expect(sumOf(families, 'interchange_graphql_request_duration_seconds_count')).toBe(served);
      for (const name of ['interchange_process_resident_memory_bytes', 'interchange_config_version']) {
        expect(samplesOf(families, name).map((s) => s.labels['worker']).sort(), name).toEqual(['1', '2']);
      }
      scrapedBy.add(workerOf(answer));
      return scrapedBy.size === 2;
    });
  });

  it('holds a rate limit of 10 per window across both workers: of 16 requests spread over them, exactly 10 pass', async () => {
    const client = { 'x-forwarded-for': '10.1.1.1' };
    const answers = [];
    for (let i = 0; i < 16; i++) answers.push(await graphql('{ product(id: "p1") { id } }', client));
    expect(countBy(answers, (a) => a.status)).toEqual({ 200: 10, 429: 6 });
    // Both workers answered some of them, the refusals too: one budget, not one per worker.
    expect(Object.keys(countBy(answers, workerOf)).sort()).toEqual(['1', '2']);
    expect(Object.keys(countBy(answers.filter((a) => a.status === 429), workerOf)).sort()).toEqual(['1', '2']);
  });

  it('sees a client probing both workers as one client: throttled on both, though neither worker alone saw enough failures', async () => {
    const prober = { 'x-forwarded-for': '10.6.6.6' };
    const failures: Record<string, number> = { 1: 0, 2: 0 };
    // Failing requests (400, an invalid query) until each worker has had 10: 20 in all, the threshold.
    await eventually('10 failures on each worker', async () => {
      if (failures['1']! >= 10 && failures['2']! >= 10) return true;
      const answer = await graphql('{ nope }', prober);
      expect(answer.status).toBe(400);
      failures[workerOf(answer)]!++;
      return false;
    });
    expect(Math.max(failures['1']!, failures['2']!)).toBeLessThan(20);
    // The primary's verdict reaches both workers: each refuses the client (after its one request per window).
    const refusedBy = new Set<number>();
    await eventually('both workers refusing the prober', async () => {
      const answer = await graphql('{ __typename }', prober);
      if (answer.status === 429) {
        expect(answer.json<{ errors: { extensions: Record<string, unknown> }[] }>().errors[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'abnormal_behaviour', kind: 'probing' });
        refusedBy.add(workerOf(answer));
      }
      return refusedBy.size === 2;
    });
    // Someone else is not affected; both workers list the client; the throttle was counted once, not per worker.
    expect((await graphql('{ __typename }', { 'x-forwarded-for': '10.0.0.1' })).status).toBe(200);
    const listedBy = new Set<number>();
    await eventually('both workers listing the throttled client', async () => {
      const answer = await adminApi('GET', 'throttled');
      expect(answer.json<{ throttled: { client: string }[] }>().throttled.map((t) => t.client)).toEqual(['ip:10.6.6.6']);
      listedBy.add(workerOf(answer));
      return listedBy.size === 2;
    });
    const metrics = parsePrometheusText((await fresh(`${origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text);
    expect(sumOf(metrics, 'interchange_abuse_events_total', { kind: 'probing' })).toBe(1);
  });

  it('carries an admin API change made on one worker to the other (through registered.yaml in the shared state directory)', async () => {
    const put = await adminApi('PUT', 'sources/greeter', { kind: 'graphql', endpoints: [greeter.url] });
    expect(put.status).toBe(200);
    expect(put.json()).toMatchObject({ status: 'applied' });
    await everyWorker('both workers serving the greeter source', (status) => status.sources.some((s) => s.name === 'greeter'));
    const greetedBy = new Set<number>();
    await eventually('both workers answering the new field', async () => {
      const answer = await graphql('{ greeting(name: "ann") }');
      expect(answer.json()).toEqual({ data: { greeting: 'hello ann' } });
      greetedBy.add(workerOf(answer));
      return greetedBy.size === 2;
    });
  });

  it('reloads both workers on SIGHUP to the primary, and on POST /admin/api/reload to either', async () => {
    const since = new Date().toISOString();
    node.child.kill('SIGHUP');
    await everyWorker('both workers reloading on SIGHUP', (s) => s.live.lastOutcome.trigger === 'signal' && s.live.lastOutcome.at >= since && s.live.lastOutcome.status === 'applied');
    const reload = await adminApi('POST', 'reload');
    expect(reload.status).toBe(200);
    await everyWorker('both workers reloading on the API call', (s) => s.live.lastOutcome.trigger === 'api' && s.live.lastOutcome.at >= since);
  });

  it('replaces a killed worker, which serves again with the shared state the primary holds (rate-limit counts); /metrics answers at once while the replacement starts, saying one worker of 2 reports', async () => {
    const before = await pidsByWorker();
    const victim = before.get(1)!;
    const countsBefore = parsePrometheusText((await scrape()).text);
    execFileSync('mkfifo', [hold]);
    process.kill(victim, 'SIGKILL');
    // The replacement is forked and held before it loads anything: no listener for the primary's messages yet.
    await eventually('the replacement held at its start', () => existsSync(`${hold}.held`));
    for (let i = 0; i < 4; i++) {
      const answer = await scrape();
      expect(answer.status, answer.text).toBe(200);
      expect(workerOf(answer)).toBe(2);
      const families = parsePrometheusText(answer.text);
      expect(sumOf(families, 'interchange_workers')).toBe(2);
      expect(sumOf(families, 'interchange_workers_reporting')).toBe(1);
      expect(samplesOf(families, 'interchange_process_resident_memory_bytes').map((s) => s.labels['worker'])).toEqual(['2']);
      // Worker 2's counts go on from where they were: no series went backwards.
      for (const sample of samplesOf(countsBefore, 'interchange_http_requests_total').filter((s) => s.labels['worker'] === '2')) {
        expect(sumOf(families, 'interchange_http_requests_total', sample.labels)).toBeGreaterThanOrEqual(sample.value);
      }
    }
    writeFileSync(hold, 'go');
    rmSync(hold);
    expect(Number(readFileSync(`${hold}.held`, 'utf8'))).not.toBe(victim);
    rmSync(`${hold}.held`);
    await eventually('the replacement serving', () => /worker 1 serves again \(pid \d+\)/.test(node.output()));
    await eventually('both workers reporting metrics', async () => sumOf(parsePrometheusText((await scrape()).text), 'interchange_workers_reporting') === 2);
    const after = await pidsByWorker();
    expect(after.get(1)).not.toBe(victim);
    expect(after.get(2)).toBe(before.get(2));
    expect(node.output()).toMatch(new RegExp(`worker 1 \\(pid ${victim}\\) exited \\(signal SIGKILL\\); starting another`));
    // Requests on new connections reach both again; the budget spent before the kill is still spent.
    const limitedBy = new Set<number>();
    await eventually('both workers refusing the spent budget', async () => {
      const answer = await graphql('{ product(id: "p1") { id } }', { 'x-forwarded-for': '10.1.1.1' });
      expect(answer.status).toBe(429);
      limitedBy.add(workerOf(answer));
      return limitedBy.size === 2;
    });
    const servedBy = new Set<number>();
    await eventually('both workers serving', async () => {
      const answer = await graphql('{ order(id: "1") { id } }');
      expect(answer.status).toBe(200);
      servedBy.add(workerOf(answer));
      return servedBy.size === 2;
    });
  });

  it('on SIGTERM every worker answers /readyz 503 for the grace it has now (changed by a reload), a second SIGTERM ends the grace, the slow request in flight finishes, and the primary exits 0 after every worker', async () => {
    const pids = await pidsByWorker();
    // Started with no grace; a reload gives every worker ten minutes, which the primary must wait for.
    writeFileSync(file, configText(600_000));
    const since = new Date().toISOString();
    node.child.kill('SIGHUP');
    await everyWorker('both workers reloading the longer grace', (s) => s.live.lastOutcome.trigger === 'signal' && s.live.lastOutcome.at >= since && s.live.lastOutcome.status === 'applied');
    const inFlight = graphql('{ slow }');
    await eventually('the slow call reaching its backend', () => slow.count('Query.slow') === 1);
    const exited = new Promise<number | null>((resolve) => node.child.once('exit', (code) => resolve(code)));
    node.child.kill('SIGTERM');
    await eventually('both workers telling the primary their grace', () => logLines(node.output(), 'a worker stops').length === 2);
    for (const line of logLines(node.output(), 'a worker stops')) expect(line).toMatchObject({ role: 'primary', graceMs: 600_000, timeoutMs: 30_000, killAfterMs: 640_000 });
    const notReady = new Set<number>();
    // Both workers, shutting down, still answer during the grace: /readyz says 503 and shuttingDown.
    await eventually('/readyz 503 from both workers', async () => {
      const answer = await fresh(`${origin}/readyz`);
      expect(answer.status).toBe(503);
      if (answer.json<{ shuttingDown: boolean }>().shuttingDown) notReady.add(workerOf(answer));
      return notReady.size === 2;
    });
    node.child.kill('SIGTERM');
    await eventually('both workers ending their grace', () => logLines(node.output(), 'grace ended by a second signal').length === 2);
    expect(node.child.exitCode).toBeNull();
    release();
    const answer = await inFlight;
    expect(answer.json()).toEqual({ data: { slow: 'done' } });
    expect(await exited).toBe(0);
    for (const pid of pids.values()) expect(isAlive(pid)).toBe(false);
  });
});

describe('interchange serve --workers 2 that cannot start', () => {
  function serve(config: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve', '--config', config, '--port', '0', '--workers', '2'], {
        cwd: root,
        env: { ...process.env, LOG_LEVEL: 'warn' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('exits 1 naming the file, the key and the problem of a bad config, before forking any worker', async () => {
    using dir = tempDir();
    const file = dir.write('bad.yaml', 'sources:\n  - name: x\n    kind: openapi\n    spec: ./nope.yaml\n    endpoints: [http://127.0.0.1:1]\n');
    const { code, stdout, stderr } = await serve(file);
    expect(code).toBe(1);
    expect(stderr).toContain('CONFIG_INVALID');
    expect(stderr).toContain(`${file}: sources[0].spec: file not found`);
    expect(stdout).not.toContain('starting 2 workers');
  });

  it('exits 1 with the workers\' boot error, printed once, when they fail to start', async () => {
    using dir = tempDir();
    dir.write('broken.yaml', 'openapi: 3.0.0\ninfo: [\n');
    const file = dir.write('c.yaml', 'sources:\n  - name: x\n    kind: openapi\n    spec: ./broken.yaml\n    endpoints: [http://127.0.0.1:1]\n');
    const { code, stdout, stderr } = await serve(file);
    expect(code).toBe(1);
    expect(stdout).toContain('starting 2 workers');
    expect(stderr.match(/SPEC_INVALID/g)).toHaveLength(1);
    expect(stderr).toContain(`${dir.path}/broken.yaml: #: invalid YAML`);
    expect(stderr).toMatch(/worker \d of 2 could not start; stopping/);
  });
});

describe('interchange serve --workers 2 stopping', () => {
  it('exits 1, naming the worker, when a worker dies during its graceful stop', async () => {
    using dir = tempDir();
    const greeter = await startGraphqlRemote({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'hi' } } });
    const file = dir.write('c.yaml', `sources:\n  - name: greeter\n    kind: graphql\n    endpoints: [${greeter.url}]\nserver:\n  shutdownGraceMs: 600000\n`);
    await using node = await startGatewayProcess(file, { LOG_LEVEL: 'info' }, { workers: 2 });
    try {
      const exited = new Promise<number | null>((resolve) => node.child.once('exit', (code) => resolve(code)));
      node.child.kill('SIGTERM');
      await eventually('both workers in their grace', () => logLines(node.output(), 'a worker stops').length === 2);
      const victim = logLines(node.output(), 'a worker stops').find((line) => line['worker'] === 1)!['workerPid'] as number;
      process.kill(victim, 'SIGKILL');
      await eventually('the primary seeing worker 1 die', () => node.output().includes(`worker 1 (pid ${victim}) exited (signal SIGKILL) while stopping`));
      // The other stops gracefully (its grace ended by a second SIGTERM); the stop as a whole failed.
      node.child.kill('SIGTERM');
      expect(await exited).toBe(1);
      expect(logLines(node.output(), 'stopped').map((line) => line['worker'])).toEqual([2]);
    } finally {
      await greeter.close();
    }
  });

  it('stops without forking on SIGTERM during the config check (SIGHUP then does nothing), exit 0', async () => {
    using dir = tempDir();
    // The config is a FIFO: the check reads it only when the test writes it, so the signals arrive during the check.
    const file = join(dir.path, 'c.yaml');
    execFileSync('mkfifo', [file]);
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve', '--config', file, '--port', '0', '--workers', '2'], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'debug' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    try {
      await eventually('the primary checking the config', () => logLines(output, 'checking the config').length === 1);
      child.kill('SIGHUP');
      child.kill('SIGTERM');
      await eventually('the stop taken', () => logLines(output, 'every worker stopped').length === 1);
      writeFileSync(file, 'sources: []\n');
      expect(await closed).toEqual({ code: 0, signal: null });
      expect(output).not.toContain('starting 2 workers');
      expect(logLines(output, 'every worker stopped')[0]).toMatchObject({ role: 'primary', code: 0 });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
