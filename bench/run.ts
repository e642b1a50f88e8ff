/**
 * `npm run bench`: the seed order query through the gateway and through the direct-call baseline, each in its
 * own process, against the demo backends in a third, then the 100 ms latency runs. Prints a table and writes
 * the full results to `.bench-results/`. See bench/README.md for what each number means.
 *
 *   npm run bench -- [--duration 15] [--warmup 5] [--connections 50] [--quick] [--profile]
 *                    [--latency-ms 100] [--latency-requests 20] [--skip-latency] [--dedupe]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { SEED_QUERY, SEED_RESULT } from '../test/helpers/demo-gateway.js';
import type { BackendsReady } from './backends-main.js';
import { parseReadyLine, startChild, stopAllChildren, type BenchChild } from './children.js';
import { backendControl, measureLatency, measureThroughput, type BackendControl, type LatencyResult, type ThroughputResult } from './measure.js';
import { clockTicksPerSecond } from './proc-stats.js';
import { findMainThreadProfile, formatProfileSummary, readProfile, summariseProfile, type ProfileSummary } from './profile-summary.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = join(ROOT, '.bench-results');
const DEMO_CONFIG = join(ROOT, 'interchange.yaml');

const THREE_ROOTS_QUERY = '{ order(id:"1"){id} product(id:"p1"){id} shipmentByOrder(orderId:"1"){id} }';
const THREE_ROOTS_RESULT = { order: { id: '1' }, product: { id: 'p1' }, shipmentByOrder: { id: 's1' } };

interface Flags {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  profile: boolean;
  latencyMs: number;
  latencyRequests: number;
  skipLatency: boolean;
  /** Keep the sources' default request coalescing (identical concurrent reads share one call). Default false. */
  dedupe: boolean;
}

function readFlags(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string', default: '50' },
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'latency-ms': { type: 'string', default: '100' },
      'latency-requests': { type: 'string', default: '20' },
      'skip-latency': { type: 'boolean', default: false },
      dedupe: { type: 'boolean', default: false },
    },
    strict: true,
  });
  function positiveInt(name: string, raw: string, min = 1): number {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new RangeError(`--${name} must be an integer >= ${min}, got ${raw}`);
    return value;
  }
  const quick = values.quick === true;
  return {
    durationSeconds: positiveInt('duration', values.duration ?? (quick ? '5' : '15')),
    warmupSeconds: positiveInt('warmup', values.warmup ?? (quick ? '2' : '5'), 0),
    connections: positiveInt('connections', values.connections!),
    profile: values.profile === true,
    latencyMs: positiveInt('latency-ms', values['latency-ms']!, 0),
    latencyRequests: positiveInt('latency-requests', values['latency-requests']!),
    skipLatency: values['skip-latency'] === true,
    dedupe: values.dedupe === true,
  };
}

/**
 * interchange.yaml with the cache fully off (`ttl: 0` stores no fresh answers, `staleIfError: 0` no stale-if-error
 * copies either) and its relative paths made absolute, since the copy lives in a temp directory.
 *
 * Unless `dedupe` is set, every source also gets `dedupe: false`: with 50 connections sending the same query,
 * coalescing identical in-flight reads lets most requests ride on another's backend calls, which the baseline
 * cannot do, and CPU per request would then compare unequal amounts of work.
 */
function writeBenchConfig(dir: string, options: { dedupe: boolean }): string {
  const config = parseYaml(readFileSync(DEMO_CONFIG, 'utf8')) as { sources: Record<string, unknown>[]; links?: string; cache?: unknown };
  const absolute = (path: unknown): unknown => (typeof path === 'string' && !/^https?:\/\//.test(path) ? resolve(ROOT, path) : path);
  for (const source of config.sources) {
    for (const key of ['spec', 'proto', 'schema']) if (key in source) source[key] = absolute(source[key]);
    if (Array.isArray(source['includeDirs'])) source['includeDirs'] = source['includeDirs'].map(absolute);
    if (!options.dedupe) source['dedupe'] = false;
  }
  if (config.links !== undefined) config.links = absolute(config.links) as string;
  config.cache = { ...(typeof config.cache === 'object' ? config.cache : {}), ttl: 0, staleIfError: 0 };
  const file = join(dir, 'interchange.bench.yaml');
  writeFileSync(file, stringifyYaml(config));
  return file;
}

interface Stack {
  backends: BenchChild;
  control: BackendControl;
  gateway: BenchChild;
  gatewayUrl: string;
  baseline: BenchChild;
  baselineUrl: string;
}

async function startStack(options: { configFile: string; latencyMs: number; label: string; cpuProfileDir?: string }): Promise<Stack> {
  const backends = await startChild({
    name: `backends${options.label}`,
    entry: 'bench/backends-main.ts',
    args: ['--latency-ms', String(options.latencyMs)],
    cwd: ROOT,
    ready: parseReadyLine,
  });
  const ready = backends.ready as BackendsReady;
  const env = { INVENTORY_URL: ready.inventory, LOGISTICS_URL: ready.logistics, ORDERS_ADDRESS: ready.orders, REVIEWS_URL: ready.reviews };
  const [gateway, baseline] = await Promise.all([
    startChild({
      name: `gateway${options.label}`,
      // No --cpu-prof-name: tsx's loader thread writes a profile too and would overwrite the main thread's.
      nodeArgs: options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [],
      entry: 'dist/cli/main.js',
      args: ['serve', '--config', options.configFile, '--port', '0'],
      // No info logs: nothing is logged per request at info anyway, and the start-up lines are not needed.
      env: { ...env, LOG_LEVEL: 'warn' },
      cwd: ROOT,
      ready: (line) => /Interchange is serving \d+ sources at (\S+)/.exec(line)?.[1],
    }),
    startChild({
      name: `baseline${options.label}`,
      entry: '.bench-results/build/baseline-main.js',
      env: { ...env, ORDERS_PROTO: join(ROOT, 'schemas', 'orders.proto') },
      cwd: ROOT,
      ready: parseReadyLine,
    }),
  ]);
  return {
    backends,
    control: backendControl(backends, ready.control),
    gateway,
    gatewayUrl: gateway.ready as string,
    baseline,
    baselineUrl: (baseline.ready as { url: string }).url,
  };
}

/** One request to each server before measuring: a wrong answer stops the run with the body shown. */
async function checkOnce(name: string, url: string, body: string, expected: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, body });
  const text = await response.text();
  if (text !== expected) throw new Error(`${name} answered the seed query wrongly (HTTP ${response.status}):\n  got      ${text}\n  expected ${expected}`);
}

function stopStack(stack: Stack, gatewayGraceMs = 5_000): Promise<unknown> {
  return Promise.all([stack.gateway.stop(gatewayGraceMs), stack.baseline.stop()]).then(() => stack.backends.stop());
}

// ---------------------------------------------------------------------------------------------- reporting

const fixed = (digits: number) => (value: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
}

function throughputTable(gateway: ThroughputResult, baseline: ThroughputResult): string {
  const rows: [string, (r: ThroughputResult) => number, (v: number) => string][] = [
    ['requests/s', (r) => r.requestsPerSecond, fixed(0)],
    ['latency p50 (ms)', (r) => r.latencyMs.p50, fixed(1)],
    ['latency p99 (ms)', (r) => r.latencyMs.p99, fixed(1)],
    ['CPU µs / request', (r) => r.cpuMicrosPerRequest, fixed(0)],
    ['CPU % of one core', (r) => r.cpuPercentOfCore, fixed(0)],
    ['peak RSS in window (MB)', (r) => r.peakRssMB, fixed(1)],
    ['VmHWM, whole life (MB)', (r) => r.lifetimeHwmMB, fixed(1)],
    ['backend calls / request', (r) => r.backendCallsPerRequest, fixed(3)],
    ['  inventory', (r) => r.backendCallsPerRequestBy['inventory'] ?? Number.NaN, fixed(3)],
    ['  logistics', (r) => r.backendCallsPerRequestBy['logistics'] ?? Number.NaN, fixed(3)],
    ['  orders (gRPC)', (r) => r.backendCallsPerRequestBy['orders'] ?? Number.NaN, fixed(3)],
    ['  reviews', (r) => r.backendCallsPerRequestBy['reviews'] ?? Number.NaN, fixed(3)],
    ['backends CPU µs / request', (r) => r.backendsCpuMicrosPerRequest, fixed(0)],
    ['requests measured', (r) => r.requests, fixed(0)],
    ['errors + timeouts', (r) => r.errors + r.timeouts, fixed(0)],
    ['non-2xx', (r) => r.non2xx, fixed(0)],
    ['wrong bodies', (r) => r.mismatches + r.warmup.mismatches, fixed(0)],
  ];
  const lines = [`${'metric'.padEnd(27)}${'gateway'.padStart(12)}${'baseline'.padStart(12)}${'gw/base'.padStart(10)}`];
  for (const [label, get, format] of rows) {
    lines.push(`${label.padEnd(27)}${format(get(gateway)).padStart(12)}${format(get(baseline)).padStart(12)}${ratio(get(gateway), get(baseline)).padStart(10)}`);
  }
  return lines.join('\n');
}

function latencyLine(label: string, result: LatencyResult, targetMs: number): string {
  const calls = Object.entries(result.backendCallsPerRequestBy)
    .map(([name, value]) => `${name} ${fixed(2)(value)}`)
    .join(', ');
  return `${label.padEnd(34)} median ${fixed(1)(result.medianMs).padStart(6)} ms (target ${targetMs}, ${fixed(1)(result.medianMs - targetMs)} ms over; min ${fixed(1)(result.minMs)}, max ${fixed(1)(result.maxMs)}), wrong bodies ${result.mismatches}; calls/req: ${calls}`;
}

// ---------------------------------------------------------------------------------------------- main

/** The gateway (dist/) and the baseline are measured as compiled JavaScript, as they would run in production. */
function buildCompiledEntries(): void {
  for (const project of ['tsconfig.build.json', 'bench/tsconfig.baseline.json']) {
    console.log(`building ${project}...`);
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, project)], { cwd: ROOT, stdio: 'inherit' });
  }
}

async function main(): Promise<void> {
  const flags = readFlags(process.argv.slice(2));
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const tempDir = mkdtempSync(join(tmpdir(), 'interchange-bench-'));
  const clockTicks = clockTicksPerSecond();
  const seedBody = JSON.stringify({ query: SEED_QUERY });
  const seedExpected = JSON.stringify({ data: SEED_RESULT });
  const profileDir = join(RESULTS_DIR, `gateway-profile-${stamp}`);
  buildCompiledEntries();

  try {
    const configFile = writeBenchConfig(tempDir, { dedupe: flags.dedupe });
    const mode = `cache off, request coalescing ${flags.dedupe ? 'on (sources\' default)' : 'off (dedupe: false)'}`;
    process.stdout.write(`Interchange bench: ${flags.connections} connections, ${flags.warmupSeconds} s warm-up + ${flags.durationSeconds} s measured, ${mode}\n`);

    // ---- throughput: backends at 0 ms, gateway and baseline measured one after the other
    const stack = await startStack({ configFile, latencyMs: 0, label: '', ...(flags.profile ? { cpuProfileDir: profileDir } : {}) });
    await checkOnce('gateway', stack.gatewayUrl, seedBody, seedExpected);
    await checkOnce('baseline', stack.baselineUrl, seedBody, seedExpected);
    const common = { body: seedBody, expectedBody: seedExpected, connections: flags.connections, warmupSeconds: flags.warmupSeconds, durationSeconds: flags.durationSeconds, clockTicks, backends: stack.control };
    process.stdout.write('measuring the gateway...\n');
    const gateway = await measureThroughput({ ...common, url: stack.gatewayUrl, target: stack.gateway });
    process.stdout.write('measuring the baseline...\n');
    const baseline = await measureThroughput({ ...common, url: stack.baselineUrl, target: stack.baseline });
    // The profile is written when the gateway exits; give it time to.
    await stopStack(stack, flags.profile ? 30_000 : 5_000);

    // ---- latency: backends at 100 ms each, sequential requests
    let latency: { threeRoots: LatencyResult; seedGateway: LatencyResult; seedBaseline: LatencyResult } | undefined;
    if (!flags.skipLatency) {
      process.stdout.write(`latency runs: backends at ${flags.latencyMs} ms, ${flags.latencyRequests} sequential requests each...\n`);
      const slow = await startStack({ configFile, latencyMs: flags.latencyMs, label: `@${flags.latencyMs}ms` });
      const run = (url: string, query: string, result: unknown) =>
        measureLatency({ url, body: JSON.stringify({ query }), expectedBody: JSON.stringify({ data: result }), requests: flags.latencyRequests, backends: slow.control });
      latency = {
        threeRoots: await run(slow.gatewayUrl, THREE_ROOTS_QUERY, THREE_ROOTS_RESULT),
        seedGateway: await run(slow.gatewayUrl, SEED_QUERY, SEED_RESULT),
        seedBaseline: await run(slow.baselineUrl, SEED_QUERY, SEED_RESULT),
      };
      await stopStack(slow);
    }

    // ---- profile
    let profile: { file: string; summary: ProfileSummary } | undefined;
    if (flags.profile) {
      const file = existsSync(profileDir) ? findMainThreadProfile(profileDir) : undefined;
      if (file !== undefined) {
        const summary = summariseProfile(readProfile(file), { top: 15, fromUs: gateway.monotonicWindowUs.from, toUs: gateway.monotonicWindowUs.to });
        profile = { file, summary };
      } else {
        process.stderr.write(`no main-thread CPU profile in ${profileDir} (did the gateway exit cleanly?)\n`);
      }
    }

    // ---- report
    const out: string[] = ['', `seed order query, ${flags.connections} connections, ${flags.durationSeconds} s measured after ${flags.warmupSeconds} s warm-up, ${mode}`, throughputTable(gateway, baseline)];
    if (latency) {
      out.push('', `latency, backends at ${flags.latencyMs} ms, median of ${flags.latencyRequests} sequential requests:`);
      out.push(latencyLine('gateway, three roots', latency.threeRoots, flags.latencyMs));
      out.push(latencyLine('gateway, seed order query', latency.seedGateway, 2 * flags.latencyMs));
      out.push(latencyLine('baseline, seed order query', latency.seedBaseline, 2 * flags.latencyMs));
    }
    const cpuRatio = gateway.cpuMicrosPerRequest / baseline.cpuMicrosPerRequest;
    const seedCalls = latency?.seedGateway.backendCallsPerRequestBy;
    out.push(
      '',
      'issue 5 targets:',
      `  gateway CPU/request ≤ 3× baseline (goal 2×):  ${ratio(gateway.cpuMicrosPerRequest, baseline.cpuMicrosPerRequest)} ${cpuRatio <= 2 ? 'MET (goal)' : cpuRatio <= 3 ? 'MET (first step)' : 'NOT MET'}`,
      `  gateway peak RSS < 150 MB:                    ${fixed(1)(gateway.peakRssMB)} MB in window, ${fixed(1)(gateway.lifetimeHwmMB)} MB lifetime ${gateway.lifetimeHwmMB < 150 ? 'MET' : 'NOT MET'}`,
    );
    if (latency) {
      const threeOver = latency.threeRoots.medianMs - flags.latencyMs;
      const seedOver = latency.seedGateway.medianMs - 2 * flags.latencyMs;
      out.push(
        `  three roots within 3 ms of ${flags.latencyMs} ms:            ${fixed(1)(threeOver)} ms over ${threeOver <= 3 ? 'MET' : 'NOT MET'}`,
        `  seed query within 4 ms of ${2 * flags.latencyMs} ms:             ${fixed(1)(seedOver)} ms over ${seedOver <= 4 ? 'MET' : 'NOT MET'}`,
        `  one call per backend per order query:         ${seedCalls && seedCalls['inventory'] === 1 && seedCalls['logistics'] === 1 && seedCalls['orders'] === 1 && seedCalls['reviews'] === 0 ? 'MET' : 'NOT MET'} (sequential run, exact)`,
      );
    }
    const wrong = gateway.mismatches + gateway.warmup.mismatches + baseline.mismatches + baseline.warmup.mismatches + (latency ? latency.threeRoots.mismatches + latency.seedGateway.mismatches + latency.seedBaseline.mismatches : 0);
    if (wrong > 0) out.push('', `WARNING: ${wrong} responses had a wrong body; first: ${gateway.firstMismatch ?? baseline.firstMismatch ?? ''}`);
    if (profile) out.push('', `gateway CPU profile (measured window only): ${profile.file}`, formatProfileSummary(profile.summary));

    const resultFile = join(RESULTS_DIR, `seed-query-${stamp}.json`);
    writeFileSync(
      resultFile,
      `${JSON.stringify(
        {
          at: new Date().toISOString(),
          node: process.version,
          flags,
          clockTicks,
          throughput: { gateway, baseline, ratio: { cpuMicrosPerRequest: cpuRatio, requestsPerSecond: gateway.requestsPerSecond / baseline.requestsPerSecond, peakRssMB: gateway.peakRssMB / baseline.peakRssMB } },
          latency,
          profile,
        },
        null,
        2,
      )}\n`,
    );
    out.push('', `results: ${resultFile}`);
    process.stdout.write(`${out.join('\n')}\n`);
    if (wrong > 0) process.exitCode = 1;
  } finally {
    await stopAllChildren(2_000);
    rmSync(tempDir, { recursive: true, force: true });
  }
}

let interrupted = false;
function interrupt(signal: NodeJS.Signals): void {
  if (interrupted) return;
  interrupted = true;
  process.stderr.write(`${signal}: stopping the benchmark's processes\n`);
  void stopAllChildren(2_000).finally(() => process.exit(130));
}
process.once('SIGINT', interrupt);
process.once('SIGTERM', interrupt);

main().catch(async (error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await stopAllChildren(2_000);
  process.exitCode = 1;
});
