/**
 * `npm run bench`: the seed order query through the gateway and through the direct-call baseline, each in its
 * own process, against the demo backends in a third, then the 100 ms latency runs. Prints a table and writes
 * the full results to `.bench-results/`. See bench/README.md for what each number means.
 *
 *   npm run bench -- [--duration 15] [--warmup 5] [--connections 50] [--quick] [--profile]
 *                    [--latency-ms 100] [--latency-requests 20] [--skip-latency] [--dedupe] [--otlp]
 *
 * `--otlp` (issue 12) also measures a second gateway with tracing on, exporting every span over OTLP/HTTP to a
 * receiver in this process, beside the default gateway (tracing off) and the baseline.
 *
 * `npm run bench -- --cache` (issue 6) measures the cache instead: the gateway with a warm cache against the
 * gateway uncached and the baseline, then the gateway with stale-if-error with all backends up against with
 * the logistics backend stopped (stale answers served).
 *
 * `npm run bench -- --faults [--phase 15]` (issue 11): the seed query under load while an inventory replica is
 * killed and the logistics backend frozen and resumed (bench/faults.ts).
 *
 * `npm run bench -- --auth` (issue 10) measures the access layer: the gateway verifying an HS256 JWT on every
 * request and checking two rate-limit rules (by ip, by user; budgets too large to refuse anything), beside the
 * same gateway without them and the baseline, on one backends process. Reports the added CPU per request.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { SEED_QUERY, SEED_RESULT } from '../test/helpers/demo-gateway.js';
import type { BackendsReady } from './backends-main.js';
import { parseReadyLine, startChild, stopAllChildren, type BenchChild } from './children.js';
import { backendControl, GRAPHQL_HEADERS, measureLatency, measureThroughput, type BackendControl, type BodyExpectation, type LatencyResult, type ThroughputResult } from './measure.js';
import { runFaultBench } from './faults.js';
import { renderChart } from './chart.js';
import { clockTicksPerSecond, readMemory } from './proc-stats.js';
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
  /**
   * Pin the measured server (gateway, then baseline, one at a time) to CPU 1, and the backends and the load
   * generator (this process) to CPU 0, so each side has a core of its own and the servers' CPU per request is
   * not blurred by sharing a core with the load.
   */
  pin: boolean;
  /** Where to write the run's SVG chart (CPU per request and RSS). Default: beside the JSON results. */
  chart?: string;
  /**
   * `--max-semi-space-size` (MB) of the gateway and the baseline alike, as the Dockerfile sets it for the
   * gateway; 0 leaves V8's default (16). Default 32.
   */
  semiSpaceMB: number;
  /** Keep the sources' default request coalescing (identical concurrent reads share one call). Default false. */
  dedupe: boolean;
  /** The issue-6 cache benchmark instead of the default one (no latency runs, no profile). */
  cache: boolean;
  /** The issue-11 fault run instead (bench/faults.ts). */
  faults: boolean;
  /** Seconds per phase of the fault run. */
  phaseSeconds: number;
  /** The issue-10 access-layer benchmark (JWT + two rate-limit rules) instead of the default one. */
  auth: boolean;
  /** Also measure the gateway with tracing exported over OTLP/HTTP to a local receiver (issue 12). */
  otlp: boolean;
  /**
   * `interchange serve --workers N` for the gateway (1: one process, as by default). Its CPU and memory are those
   * of the primary and every worker together. Not with --pin: N workers pinned to one core would share it.
   */
  workers: number;
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
      pin: { type: 'boolean', default: false },
      chart: { type: 'string' },
      'semi-space': { type: 'string' },
      dedupe: { type: 'boolean', default: false },
      cache: { type: 'boolean', default: false },
      faults: { type: 'boolean', default: false },
      phase: { type: 'string' },
      auth: { type: 'boolean', default: false },
      otlp: { type: 'boolean', default: false },
      workers: { type: 'string', default: '1' },
    },
    strict: true,
  });
  function positiveInt(name: string, raw: string, min = 1): number {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new RangeError(`--${name} must be an integer >= ${min}, got ${raw}`);
    return value;
  }
  const quick = values.quick === true;
  if ((values.cache === true || values.auth === true) && values.profile === true) throw new RangeError('--profile is not supported with --cache or --auth');
  if (values.cache === true && values.auth === true) throw new RangeError('--cache and --auth are separate runs');
  if (values.cache === true && values.otlp === true) throw new RangeError('--otlp is not supported with --cache');
  if (values.auth === true && values.otlp === true) throw new RangeError('--otlp is not supported with --auth');
  const workers = positiveInt('workers', values.workers!);
  if (workers > 1 && values.pin === true) throw new RangeError('--workers N > 1 is measured unpinned: N workers pinned to one core would share it');
  return {
    durationSeconds: positiveInt('duration', values.duration ?? (quick ? '5' : '15')),
    warmupSeconds: positiveInt('warmup', values.warmup ?? (quick ? '2' : '5'), 0),
    connections: positiveInt('connections', values.connections!),
    profile: values.profile === true,
    latencyMs: positiveInt('latency-ms', values['latency-ms']!, 0),
    latencyRequests: positiveInt('latency-requests', values['latency-requests']!),
    skipLatency: values['skip-latency'] === true,
    pin: values.pin === true,
    ...(values.chart !== undefined ? { chart: resolve(values.chart) } : {}),
    semiSpaceMB: positiveInt('semi-space', values['semi-space'] ?? '32', 0),
    dedupe: values.dedupe === true,
    cache: values.cache === true,
    faults: values.faults === true,
    phaseSeconds: positiveInt('phase', values.phase ?? (quick ? '6' : '15')),
    auth: values.auth === true,
    otlp: values.otlp === true,
    workers,
  };
}

/** A source's `cache:` block, as in interchange.yaml (seconds). */
type SourceCachePolicy = { ttl?: number; staleWhileRevalidate?: number; staleIfError?: number };

/**
 * interchange.yaml with the cache fully off (`ttl: 0` stores no fresh answers, `staleIfError: 0` no stale-if-error
 * copies either) and its relative paths made absolute, since the copy lives in a temp directory.
 *
 * Unless `dedupe` is set, every source also gets `dedupe: false`: with 50 connections sending the same query,
 * coalescing identical in-flight reads lets most requests ride on another's backend calls, which the baseline
 * cannot do, and CPU per request would then compare unequal amounts of work.
 *
 * `sourceCache` (the cache benchmark) is set as `cache:` on every source, over that global cache-off policy,
 * so what it does not name stays off. `name` tells several configs in one directory apart.
 */
function writeBenchConfig(
  dir: string,
  options: {
    dedupe: boolean;
    sourceCache?: SourceCachePolicy;
    name?: string;
    otlpEndpoint?: string;
    /** Top-level keys set over the demo config (auth, rateLimits, ...). */
    root?: Record<string, unknown>;
    edit?: (config: { sources: Record<string, unknown>[]; [key: string]: unknown }) => void;
  },
): string {
  const config = parseYaml(readFileSync(DEMO_CONFIG, 'utf8')) as { sources: Record<string, unknown>[]; links?: string; cache?: unknown; telemetry?: unknown; [key: string]: unknown };
  Object.assign(config, options.root);
  const absolute = (path: unknown): unknown => (typeof path === 'string' && !/^https?:\/\//.test(path) ? resolve(ROOT, path) : path);
  for (const source of config.sources) {
    for (const key of ['spec', 'proto', 'schema']) if (key in source) source[key] = absolute(source[key]);
    if (Array.isArray(source['includeDirs'])) source['includeDirs'] = source['includeDirs'].map(absolute);
    if (!options.dedupe) source['dedupe'] = false;
    if (options.sourceCache) source['cache'] = { ...options.sourceCache };
  }
  if (config.links !== undefined) config.links = absolute(config.links) as string;
  config.cache = { ...(typeof config.cache === 'object' ? config.cache : {}), ttl: 0, staleIfError: 0 };
  if (options.otlpEndpoint !== undefined) config.telemetry = { otlp: { endpoint: options.otlpEndpoint } };
  options.edit?.(config);
  const file = join(dir, options.name === undefined ? 'interchange.bench.yaml' : `interchange.bench.${options.name}.yaml`);
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
  /** Where the backends are (for another gateway over the same backends). */
  env: Record<string, string>;
}

interface Backends {
  backends: BenchChild;
  control: BackendControl;
  /** Where the backends are, as the gateway's config and the baseline read it. */
  env: Record<string, string>;
}

/** CPUs of the measured servers and of everything else, when `--pin` is given. */
const pinning: { server?: string; others?: string } = {};
/** Node flags of the measured servers (gateway and baseline alike): the young generation's size. */
const serverNodeArgs: string[] = [];
/** `--workers` of the gateway (set from the flags before anything starts). */
let gatewayWorkers = 1;

async function startBackends(latencyMs: number, label: string): Promise<Backends> {
  const backends = await startChild({
    ...(pinning.others ? { cpus: pinning.others } : {}),
    name: `backends${label}`,
    entry: 'bench/backends-main.ts',
    args: ['--latency-ms', String(latencyMs)],
    cwd: ROOT,
    ready: parseReadyLine,
  });
  const ready = backends.ready as BackendsReady;
  const env = { INVENTORY_URL: ready.inventory, LOGISTICS_URL: ready.logistics, ORDERS_ADDRESS: ready.orders, REVIEWS_URL: ready.reviews };
  return { backends, control: backendControl(backends, ready.control), env };
}


/** `interchange serve` (compiled) on `configFile`; `ready` is its GraphQL URL. */
function startGateway(options: { configFile: string; env: Record<string, string>; name: string; cpuProfileDir?: string }): Promise<BenchChild> {
  return startChild({
    name: options.name,
    ...(pinning.server ? { cpus: pinning.server } : {}),
    // No --cpu-prof-name: tsx's loader thread writes a profile too and would overwrite the main thread's.
    // BENCH_GATEWAY_NODE_ARGS: extra node flags for the gateway only, a profiling convenience
    // (e.g. `--heap-prof --heap-prof-dir DIR`, or `--heapsnapshot-signal=SIGUSR2` and `kill -USR2 <pid>` mid-run).
    nodeArgs: [...serverNodeArgs, ...(options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : []), ...(process.env['BENCH_GATEWAY_NODE_ARGS']?.split(' ').filter(Boolean) ?? [])],
    entry: 'dist/cli/main.js',
    args: ['serve', '--config', options.configFile, '--port', '0', ...(gatewayWorkers > 1 ? ['--workers', String(gatewayWorkers)] : [])],
    // No info logs: nothing is logged per request at info anyway, and the start-up lines are not needed.
    env: { ...options.env, LOG_LEVEL: 'warn' },
    cwd: ROOT,
    ready: (line) => /Interchange is serving \d+ sources at (\S+)/.exec(line)?.[1],
  });
}

/** The direct-call baseline (compiled); `ready` is `{ url }`. */
function startBaseline(env: Record<string, string>, name: string): Promise<BenchChild> {
  return startChild({
    name,
    ...(pinning.server ? { cpus: pinning.server } : {}),
    nodeArgs: serverNodeArgs,
    entry: '.bench-results/build/baseline-main.js',
    env: { ...env, ORDERS_PROTO: join(ROOT, 'schemas', 'orders.proto') },
    cwd: ROOT,
    ready: parseReadyLine,
  });
}

const gatewayUrlOf = (gateway: BenchChild): string => gateway.ready as string;
const baselineUrlOf = (baseline: BenchChild): string => (baseline.ready as { url: string }).url;

async function startStack(options: { configFile: string; latencyMs: number; label: string; cpuProfileDir?: string }): Promise<Stack> {
  const { backends, control, env } = await startBackends(options.latencyMs, options.label);
  const [gateway, baseline] = await Promise.all([
    startGateway({ configFile: options.configFile, env, name: `gateway${options.label}`, ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}) }),
    startBaseline(env, `baseline${options.label}`),
  ]);
  return { backends, control, gateway, gatewayUrl: gatewayUrlOf(gateway), baseline, baselineUrl: baselineUrlOf(baseline), env };
}

/**
 * One request to a server before measuring: a wrong answer stops the run with the body shown. Returns the
 * response's `Cache-Status` header (null when there is none).
 */
async function checkOnce(name: string, url: string, body: string, expected: BodyExpectation, headers: Record<string, string> = {}): Promise<string | null> {
  const response = await fetch(url, { method: 'POST', headers: { ...GRAPHQL_HEADERS, ...headers }, body });
  const text = await response.text();
  const right = typeof expected === 'string' ? text === expected : expected(text);
  if (!right || response.status !== 200) {
    const wanted = typeof expected === 'string' ? expected : `(checked by ${expected.name || 'a function'})`;
    throw new Error(`${name} answered the seed query wrongly (HTTP ${response.status}):\n  got      ${text}\n  expected ${wanted}`);
  }
  return response.headers.get('cache-status');
}

function stopStack(stack: Stack, gatewayGraceMs = 5_000): Promise<unknown> {
  return Promise.all([stack.gateway.stop(gatewayGraceMs), stack.baseline.stop()]).then(() => stack.backends.stop());
}

// ---------------------------------------------------------------------------------------------- the OTLP receiver (--otlp)

/** What the OTLP/HTTP receiver got: export requests, their bytes, and the spans in them. */
interface OtlpReceived {
  requests: number;
  bytes: number;
  spans: number;
}

/**
 * A minimal OTLP/HTTP traces receiver on a free loopback port, in this (the runner's) process: it reads each
 * JSON export, counts its spans and answers 200, as a collector would. Its CPU is not the gateway's.
 */
async function startOtlpReceiver(): Promise<{ url: string; received: OtlpReceived; close(): Promise<void> }> {
  const received: OtlpReceived = { requests: 0, bytes: 0, spans: 0 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.requests++;
      received.bytes += raw.length;
      try {
        const body = JSON.parse((request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')) as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
        for (const resource of body.resourceSpans ?? []) for (const scope of resource.scopeSpans ?? []) received.spans += scope.spans?.length ?? 0;
      } catch {
        // counted as a request; a body we cannot read adds no spans
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------- reporting

const fixed = (digits: number) => (value: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
}

type Row = [label: string, get: (r: ThroughputResult) => number, format: (v: number) => string];

const THROUGHPUT_ROWS: Row[] = [
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

/** Rows picked from THROUGHPUT_ROWS by label, in the order given. */
function rowsNamed(...labels: string[]): Row[] {
  return labels.map((label) => {
    const row = THROUGHPUT_ROWS.find(([name]) => name === label);
    if (row === undefined) throw new Error(`no table row ${label}`);
    return row;
  });
}

/**
 * One column per result, then one per ratio (`of` ÷ `to`, indices into `columns`).
 * The default run's table: columns gateway, baseline and the ratio gw/base.
 */
function throughputTable(columns: { label: string; result: ThroughputResult }[], ratios: { label: string; of: number; to: number }[], rows: Row[] = THROUGHPUT_ROWS): string {
  const widthOf = (label: string, min: number) => Math.max(min, label.length + 2);
  const pick = (index: number): ThroughputResult => {
    const column = columns[index];
    if (column === undefined) throw new Error(`no column ${index}`);
    return column.result;
  };
  let header = 'metric'.padEnd(27);
  for (const { label } of columns) header += label.padStart(widthOf(label, 12));
  for (const { label } of ratios) header += label.padStart(widthOf(label, 10));
  const lines = [header];
  for (const [label, get, format] of rows) {
    let line = label.padEnd(27);
    for (const column of columns) line += format(get(column.result)).padStart(widthOf(column.label, 12));
    for (const r of ratios) line += ratio(get(pick(r.of)), get(pick(r.to))).padStart(widthOf(r.label, 10));
    lines.push(line);
  }
  return lines.join('\n');
}

function latencyLine(label: string, result: LatencyResult, targetMs: number): string {
  const calls = Object.entries(result.backendCallsPerRequestBy)
    .map(([name, value]) => `${name} ${fixed(2)(value)}`)
    .join(', ');
  return `${label.padEnd(34)} median ${fixed(1)(result.medianMs).padStart(6)} ms (target ${targetMs}, ${fixed(1)(result.medianMs - targetMs)} ms over; min ${fixed(1)(result.minMs)}, max ${fixed(1)(result.maxMs)}), wrong bodies ${result.mismatches}; calls/req: ${calls}`;
}

// ---------------------------------------------------------------------------------------------- the cache benchmark (--cache)

/** The per-source cache policies of the three gateways of the cache benchmark (over the global cache-off). */
const CACHE_CONFIGS = {
  /** Fresh for 5 minutes: after the warm-up, the whole run is served from the cache. */
  warm: { ttl: 300 },
  /** Nothing served fresh from the cache; every answer kept for an hour to be served when the backend fails. */
  staleIfError: { ttl: 0, staleIfError: 3600 },
} as const satisfies Record<string, SourceCachePolicy>;

/** The backend stopped in the down phase, and where its value sits in the seed query's answer. */
const DOWN_BACKEND = 'logistics';
const DOWN_PATH = ['order', 'shipment'];

interface StaleAges {
  /** Stale answers seen (warm-up, measured window and the checks), and the smallest and largest `age`. */
  count: number;
  min: number;
  max: number;
}

/**
 * A body check for the down phase: `data` equal to `data` byte for byte (field order included), no `errors`, and
 * `extensions` exactly `{ stale: [{ source: "logistics", path: ["order","shipment"], age }] }` with a whole `age`
 * from 0 to `maxAge` seconds. Ages seen are recorded in `ages`.
 */
function staleAnswerOf(data: unknown, maxAge: number, ages: StaleAges): (body: string) => boolean {
  const expectedData = JSON.stringify(data);
  const expectedPath = JSON.stringify(DOWN_PATH);
  return function staleLogisticsAnswer(body) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return false;
    }
    if (typeof parsed !== 'object' || parsed === null) return false;
    const keys = Object.keys(parsed);
    if (keys.length !== 2 || keys[0] !== 'data' || keys[1] !== 'extensions') return false;
    const { data: got, extensions } = parsed as { data: unknown; extensions: unknown };
    if (JSON.stringify(got) !== expectedData) return false;
    if (typeof extensions !== 'object' || extensions === null || Object.keys(extensions).join() !== 'stale') return false;
    const stale = (extensions as { stale: unknown }).stale;
    if (!Array.isArray(stale) || stale.length !== 1) return false;
    const mark = stale[0] as { source?: unknown; path?: unknown; age?: unknown } | null;
    if (typeof mark !== 'object' || mark === null || Object.keys(mark).join() !== 'source,path,age') return false;
    const { source, path, age } = mark;
    if (source !== DOWN_BACKEND || JSON.stringify(path) !== expectedPath) return false;
    if (typeof age !== 'number' || !Number.isInteger(age) || age < 0 || age > maxAge) return false;
    ages.count++;
    ages.min = Math.min(ages.min, age);
    ages.max = Math.max(ages.max, age);
    return true;
  };
}

async function runCacheBench(flags: Flags, context: { tempDir: string; stamp: string; clockTicks: number }): Promise<void> {
  const { tempDir, stamp, clockTicks } = context;
  const seedBody = JSON.stringify({ query: SEED_QUERY });
  const seedExpected = JSON.stringify({ data: SEED_RESULT });
  const coalescing = `request coalescing ${flags.dedupe ? "on (sources' default)" : 'off (dedupe: false)'}`;
  const configs = {
    uncached: writeBenchConfig(tempDir, { dedupe: flags.dedupe, name: 'uncached' }),
    warm: writeBenchConfig(tempDir, { dedupe: flags.dedupe, name: 'warm', sourceCache: CACHE_CONFIGS.warm }),
    staleIfError: writeBenchConfig(tempDir, { dedupe: flags.dedupe, name: 'stale-if-error', sourceCache: CACHE_CONFIGS.staleIfError }),
  };
  process.stdout.write(
    `Interchange cache bench: ${flags.connections} connections, ${flags.warmupSeconds} s warm-up + ${flags.durationSeconds} s measured per phase, ${coalescing}\n`,
  );

  // ---- part 1: warm cache vs uncached vs baseline, one after the other against one backends process
  const { backends, control, env } = await startBackends(0, '');
  const [uncachedGateway, warmGateway, stalingGateway, baseline] = await Promise.all([
    startGateway({ configFile: configs.uncached, env, name: 'gateway-uncached' }),
    startGateway({ configFile: configs.warm, env, name: 'gateway-warm' }),
    startGateway({ configFile: configs.staleIfError, env, name: 'gateway-stale-if-error' }),
    startBaseline(env, 'baseline'),
  ]);
  // The checks put the answers in the warm and stale-if-error caches; the warm-ups would anyway.
  await checkOnce('gateway (uncached)', gatewayUrlOf(uncachedGateway), seedBody, seedExpected);
  await checkOnce('gateway (warm cache)', gatewayUrlOf(warmGateway), seedBody, seedExpected);
  await checkOnce('gateway (stale-if-error)', gatewayUrlOf(stalingGateway), seedBody, seedExpected);
  await checkOnce('baseline', baselineUrlOf(baseline), seedBody, seedExpected);
  const common = { body: seedBody, connections: flags.connections, warmupSeconds: flags.warmupSeconds, durationSeconds: flags.durationSeconds, clockTicks, backends: control };
  const measure = (label: string, target: BenchChild, expectedBody: BodyExpectation, url: string): Promise<ThroughputResult> => {
    process.stdout.write(`measuring ${label}...\n`);
    return measureThroughput({ ...common, expectedBody, url, target });
  };
  // Each server is stopped once measured, so that it does not share the machine with the next ones.
  const warm = await measure('the gateway, warm cache', warmGateway, seedExpected, gatewayUrlOf(warmGateway));
  await warmGateway.stop();
  const uncached = await measure('the gateway, uncached', uncachedGateway, seedExpected, gatewayUrlOf(uncachedGateway));
  await uncachedGateway.stop();
  const base = await measure('the baseline', baseline, seedExpected, baselineUrlOf(baseline));
  await baseline.stop();

  // ---- part 2: stale-if-error, all backends up, then logistics stopped
  const ages: StaleAges = { count: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
  const staleAnswer = staleAnswerOf(SEED_RESULT, CACHE_CONFIGS.staleIfError.staleIfError, ages);
  const stalingUrl = gatewayUrlOf(stalingGateway);
  const allUp = await measure('the gateway, stale-if-error, all backends up', stalingGateway, seedExpected, stalingUrl);
  await control.stop(DOWN_BACKEND);
  const refused = await fetch(`${env['LOGISTICS_URL']}/shipments?orderIds=1`).then(
    () => false,
    () => true,
  );
  if (!refused) throw new Error(`${DOWN_BACKEND} still answers after /stop`);
  const downCacheStatus = await checkOnce(`gateway with ${DOWN_BACKEND} down`, stalingUrl, seedBody, staleAnswer);
  const down = await measure(`the gateway, stale-if-error, ${DOWN_BACKEND} down`, stalingGateway, staleAnswer, stalingUrl);
  // Back up: live answers again (the replica pool retries a failed endpoint after its cooldown or when it is the only one).
  await control.start(DOWN_BACKEND);
  const recoveredCacheStatus = await checkOnce(`gateway after ${DOWN_BACKEND} came back`, stalingUrl, seedBody, seedExpected);
  await stalingGateway.stop();
  await backends.stop();

  // ---- report
  const out: string[] = [
    '',
    `1. seed order query, ${flags.connections} connections, ${flags.durationSeconds} s measured after ${flags.warmupSeconds} s warm-up, ${coalescing}`,
    `   warm: cache ${JSON.stringify(CACHE_CONFIGS.warm)} on every source; uncached: ttl 0, staleIfError 0; baseline: direct calls`,
    throughputTable(
      [
        { label: 'gw warm', result: warm },
        { label: 'gw uncached', result: uncached },
        { label: 'baseline', result: base },
      ],
      [
        { label: 'warm/base', of: 0, to: 2 },
        { label: 'unc/base', of: 1, to: 2 },
        { label: 'warm/unc', of: 0, to: 1 },
      ],
    ),
    '',
    `2. stale-if-error: cache ${JSON.stringify(CACHE_CONFIGS.staleIfError)} on every source, all backends up, then ${DOWN_BACKEND} stopped (connections refused)`,
    throughputTable(
      [
        { label: 'all up', result: allUp },
        { label: `${DOWN_BACKEND} down`, result: down },
      ],
      [{ label: 'down/up', of: 1, to: 0 }],
      rowsNamed(
        'requests/s',
        'latency p50 (ms)',
        'latency p99 (ms)',
        'CPU µs / request',
        'CPU % of one core',
        'peak RSS in window (MB)',
        'backend calls / request',
        '  inventory',
        '  logistics',
        '  orders (gRPC)',
        '  reviews',
        'requests measured',
        'errors + timeouts',
        'non-2xx',
        'wrong bodies',
      ),
    ),
    `   stale answers checked: ${ages.count}, age ${fixed(0)(ages.min)}..${fixed(0)(ages.max)} s; Cache-Status while down: ${downCacheStatus ?? '(none)'}`,
    `   after ${DOWN_BACKEND} came back: live answer again (Cache-Status: ${recoveredCacheStatus ?? '(none)'})`,
  ];
  const results = [warm, uncached, base, allUp, down];
  const wrong = results.reduce((sum, r) => sum + r.mismatches + r.warmup.mismatches, 0);
  const failed = results.reduce((sum, r) => sum + r.errors + r.timeouts + r.non2xx + r.warmup.errors + r.warmup.non2xx, 0);
  if (wrong > 0) out.push('', `WARNING: ${wrong} responses had a wrong body; first: ${results.map((r) => r.firstMismatch).find((m) => m !== undefined) ?? ''}`);
  if (failed > 0) out.push('', `WARNING: ${failed} requests failed (errors, timeouts or non-2xx)`);

  const resultFile = join(RESULTS_DIR, `cache-${stamp}.json`);
  const vsBaseline = (r: ThroughputResult) => ({
    requestsPerSecond: r.requestsPerSecond / base.requestsPerSecond,
    p50: r.latencyMs.p50 / base.latencyMs.p50,
    p99: r.latencyMs.p99 / base.latencyMs.p99,
    cpuMicrosPerRequest: r.cpuMicrosPerRequest / base.cpuMicrosPerRequest,
  });
  writeFileSync(
    resultFile,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        flags,
        clockTicks,
        cacheConfigs: { ...CACHE_CONFIGS, uncached: { ttl: 0, staleIfError: 0 } },
        warmCache: { warm, uncached, baseline: base, ratioToBaseline: { warm: vsBaseline(warm), uncached: vsBaseline(uncached) } },
        staleIfError: {
          downBackend: DOWN_BACKEND,
          allUp,
          down,
          ratioDownToUp: { p50: down.latencyMs.p50 / allUp.latencyMs.p50, p99: down.latencyMs.p99 / allUp.latencyMs.p99, requestsPerSecond: down.requestsPerSecond / allUp.requestsPerSecond },
          staleAges: ages,
          cacheStatusWhileDown: downCacheStatus,
          cacheStatusAfterRecovery: recoveredCacheStatus,
        },
      },
      null,
      2,
    )}\n`,
  );
  out.push('', `results: ${resultFile}`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (wrong > 0 || failed > 0) process.exitCode = 1;
}

// ---------------------------------------------------------------------------------------------- the access-layer benchmark (--auth)

const BENCH_JWT = { secret: 'interchange-bench-secret-at-least-32-characters', issuer: 'https://idp.bench', audience: 'interchange' };
/** Two rules that apply to every request and never refuse: what checking them costs, not what refusing does. */
const BENCH_RATE_LIMITS = [
  { by: 'ip', points: 1_000_000_000, windowSeconds: 1 },
  { by: 'user', points: 1_000_000_000, windowSeconds: 60 },
];

async function runAuthBench(flags: Flags, context: { tempDir: string; stamp: string; clockTicks: number }): Promise<void> {
  const { tempDir, stamp, clockTicks } = context;
  const { SignJWT } = await import('jose');
  const token = await new SignJWT({ sub: 'bench-user', scope: 'bench' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(BENCH_JWT.issuer)
    .setAudience(BENCH_JWT.audience)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(BENCH_JWT.secret));
  const bearer = { authorization: `Bearer ${token}` };
  const seedBody = JSON.stringify({ query: SEED_QUERY });
  const seedExpected = JSON.stringify({ data: SEED_RESULT });
  const coalescing = `request coalescing ${flags.dedupe ? "on (sources' default)" : 'off (dedupe: false)'}`;
  const configs = {
    plain: writeBenchConfig(tempDir, { dedupe: flags.dedupe, name: 'plain' }),
    auth: writeBenchConfig(tempDir, { dedupe: flags.dedupe, name: 'auth', root: { auth: { jwt: BENCH_JWT, default: 'authenticated' }, rateLimits: BENCH_RATE_LIMITS } }),
  };
  process.stdout.write(`Interchange access-layer bench: ${flags.connections} connections, ${flags.warmupSeconds} s warm-up + ${flags.durationSeconds} s measured per server, ${coalescing}\n`);

  const { backends, control, env } = await startBackends(0, '');
  const [plainGateway, authGateway, baseline] = await Promise.all([
    startGateway({ configFile: configs.plain, env, name: 'gateway-plain' }),
    startGateway({ configFile: configs.auth, env, name: 'gateway-auth' }),
    startBaseline(env, 'baseline'),
  ]);
  await checkOnce('gateway (plain)', gatewayUrlOf(plainGateway), seedBody, seedExpected, bearer);
  await checkOnce('gateway (JWT + rate limits)', gatewayUrlOf(authGateway), seedBody, seedExpected, bearer);
  const unauthenticated = await fetch(gatewayUrlOf(authGateway), { method: 'POST', headers: GRAPHQL_HEADERS, body: seedBody });
  if (unauthenticated.status !== 401) throw new Error(`the auth gateway answered a request without a token with ${unauthenticated.status}, not 401: it is not verifying`);
  await checkOnce('baseline', baselineUrlOf(baseline), seedBody, seedExpected, bearer);
  const common = { body: seedBody, expectedBody: seedExpected, headers: bearer, connections: flags.connections, warmupSeconds: flags.warmupSeconds, durationSeconds: flags.durationSeconds, clockTicks, backends: control };
  // Each server is stopped once measured, so that it does not share the machine with the next ones.
  process.stdout.write('measuring the gateway, plain...\n');
  const plain = await measureThroughput({ ...common, url: gatewayUrlOf(plainGateway), target: plainGateway });
  await plainGateway.stop();
  process.stdout.write('measuring the gateway, JWT + two rate-limit rules...\n');
  const auth = await measureThroughput({ ...common, url: gatewayUrlOf(authGateway), target: authGateway });
  await authGateway.stop();
  process.stdout.write('measuring the baseline...\n');
  const base = await measureThroughput({ ...common, url: baselineUrlOf(baseline), target: baseline });
  await baseline.stop();
  await backends.stop();

  const added = auth.cpuMicrosPerRequest / plain.cpuMicrosPerRequest - 1;
  const out: string[] = [
    '',
    `seed order query with a bearer token, ${flags.connections} connections, ${flags.durationSeconds} s measured after ${flags.warmupSeconds} s warm-up, ${coalescing}`,
    '   plain: the gateway as configured by default; auth: + HS256 JWT verification (auth.default: authenticated) and rate limits by ip and by user',
    throughputTable(
      [
        { label: 'gw plain', result: plain },
        { label: 'gw auth', result: auth },
        { label: 'baseline', result: base },
      ],
      [
        { label: 'auth/plain', of: 1, to: 0 },
        { label: 'plain/base', of: 0, to: 2 },
        { label: 'auth/base', of: 1, to: 2 },
      ],
    ),
    '',
    'issue 10 target:',
    `  added CPU per request (JWT + 2 rate-limit rules) < 10%:  ${Number.isFinite(added) ? `${(added * 100).toFixed(1)}%` : 'n/a'} ${added < 0.1 ? 'MET' : 'NOT MET'}`,
  ];
  const results = [plain, auth, base];
  const wrong = results.reduce((sum, r) => sum + r.mismatches + r.warmup.mismatches, 0);
  const failed = results.reduce((sum, r) => sum + r.errors + r.timeouts + r.non2xx + r.warmup.errors + r.warmup.non2xx, 0);
  if (wrong > 0) out.push('', `WARNING: ${wrong} responses had a wrong body; first: ${results.map((r) => r.firstMismatch).find((m) => m !== undefined) ?? ''}`);
  if (failed > 0) out.push('', `WARNING: ${failed} requests failed (errors, timeouts or non-2xx)`);
  const resultFile = join(RESULTS_DIR, `auth-${stamp}.json`);
  writeFileSync(
    resultFile,
    `${JSON.stringify({ at: new Date().toISOString(), node: process.version, flags, clockTicks, rateLimits: BENCH_RATE_LIMITS, plain, auth, baseline: base, addedCpuPerRequest: added, ratioToBaseline: { plain: plain.cpuMicrosPerRequest / base.cpuMicrosPerRequest, auth: auth.cpuMicrosPerRequest / base.cpuMicrosPerRequest } }, null, 2)}\n`,
  );
  out.push('', `results: ${resultFile}`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (wrong > 0 || failed > 0) process.exitCode = 1;
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
  if (flags.semiSpaceMB > 0) serverNodeArgs.push(`--max-semi-space-size=${flags.semiSpaceMB}`);
  gatewayWorkers = flags.workers;
  if (flags.pin) {
    pinning.server = '1';
    pinning.others = '0';
    // This process runs the load generator: every thread of it on CPU 0.
    execFileSync('taskset', ['-a', '-pc', '0', String(process.pid)], { stdio: 'ignore' });
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const tempDir = mkdtempSync(join(tmpdir(), 'interchange-bench-'));
  const clockTicks = clockTicksPerSecond();
  const seedBody = JSON.stringify({ query: SEED_QUERY });
  const seedExpected = JSON.stringify({ data: SEED_RESULT });
  const profileDir = join(RESULTS_DIR, `gateway-profile-${stamp}`);
  buildCompiledEntries();

  try {
    if (flags.cache) {
      await runCacheBench(flags, { tempDir, stamp, clockTicks });
      return;
    }
    if (flags.faults) {
      await runFaultBench(
        { phaseSeconds: flags.phaseSeconds, warmupSeconds: flags.warmupSeconds, connections: flags.connections },
        {
          root: ROOT,
          resultsDir: RESULTS_DIR,
          stamp,
          writeConfig: (edit) => writeBenchConfig(tempDir, { dedupe: flags.dedupe, name: 'faults', edit }),
          startBackends: () => startBackends(0, ''),
          startGateway: (configFile, env, name) => startGateway({ configFile, env, name }),
          startBaseline,
          gatewayUrlOf,
          baselineUrlOf,
        },
      );
      return;
    }
    if (flags.auth) {
      await runAuthBench(flags, { tempDir, stamp, clockTicks });
      return;
    }
    const configFile = writeBenchConfig(tempDir, { dedupe: flags.dedupe });
    const mode = `cache off, request coalescing ${flags.dedupe ? 'on (sources\' default)' : 'off (dedupe: false)'}, ${flags.pin ? 'servers pinned to CPU 1' : 'unpinned'}, semi-space ${flags.semiSpaceMB > 0 ? `${flags.semiSpaceMB} MB` : 'V8 default'}${flags.workers > 1 ? `, gateway with ${flags.workers} workers (CPU and RSS of all its processes)` : ''}`;
    process.stdout.write(`Interchange bench: ${flags.connections} connections, ${flags.warmupSeconds} s warm-up + ${flags.durationSeconds} s measured, ${mode}\n`);

    // ---- throughput: backends at 0 ms, gateway and baseline measured one after the other
    const stack = await startStack({ configFile, latencyMs: 0, label: '', ...(flags.profile ? { cpuProfileDir: profileDir } : {}) });
    await checkOnce('gateway', stack.gatewayUrl, seedBody, seedExpected);
    await checkOnce('baseline', stack.baselineUrl, seedBody, seedExpected);
    // Idle: started, one request answered (so what the first request loads is counted), no load yet.
    const idleRssMB = { gateway: readMemory(stack.gateway.pid).rssKiB / 1000, baseline: readMemory(stack.baseline.pid).rssKiB / 1000 };
    const common = { body: seedBody, expectedBody: seedExpected, connections: flags.connections, warmupSeconds: flags.warmupSeconds, durationSeconds: flags.durationSeconds, clockTicks, backends: stack.control };
    process.stdout.write('measuring the gateway...\n');
    const gateway = await measureThroughput({ ...common, url: stack.gatewayUrl, target: stack.gateway });
    process.stdout.write('measuring the baseline...\n');
    const baseline = await measureThroughput({ ...common, url: stack.baselineUrl, target: stack.baseline });
    // ---- --otlp: the same gateway with tracing on, every span exported to a local receiver
    let traced: { result: ThroughputResult; received: OtlpReceived } | undefined;
    if (flags.otlp) {
      const receiver = await startOtlpReceiver();
      const tracedConfig = writeBenchConfig(tempDir, { dedupe: flags.dedupe, name: 'otlp', otlpEndpoint: receiver.url });
      const tracedGateway = await startGateway({ configFile: tracedConfig, env: stack.env, name: 'gateway-otlp' });
      await checkOnce('gateway with OTLP export', gatewayUrlOf(tracedGateway), seedBody, seedExpected);
      process.stdout.write('measuring the gateway with tracing exported over OTLP...\n');
      const result = await measureThroughput({ ...common, url: gatewayUrlOf(tracedGateway), target: tracedGateway });
      // Stopping it flushes the spans still queued.
      await tracedGateway.stop(10_000);
      await receiver.close();
      traced = { result, received: { ...receiver.received } };
    }
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
    const out: string[] = [
      '',
      `seed order query, ${flags.connections} connections, ${flags.durationSeconds} s measured after ${flags.warmupSeconds} s warm-up, ${mode}`,
      traced
        ? throughputTable(
            [
              { label: 'gateway', result: gateway },
              { label: 'baseline', result: baseline },
              { label: 'gw+otlp', result: traced.result },
            ],
            [
              { label: 'gw/base', of: 0, to: 1 },
              { label: 'otlp/base', of: 2, to: 1 },
              { label: 'otlp/gw', of: 2, to: 0 },
            ],
          )
        : throughputTable(
            [
              { label: 'gateway', result: gateway },
              { label: 'baseline', result: baseline },
            ],
            [{ label: 'gw/base', of: 0, to: 1 }],
          ),
    ];
    if (traced) {
      const perRequest = traced.received.spans / Math.max(1, traced.result.requests + traced.result.warmup.requests);
      out.push(
        `gw+otlp: tracing on (telemetry.otlp.endpoint), every request sampled; the receiver got ${traced.received.spans} spans in ${traced.received.requests} exports (${fixed(1)(traced.received.bytes / 1e6)} MB), ${fixed(1)(perRequest)} spans per request`,
      );
    }
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
      'issue 15 targets (ratios to the baseline measured in this run):',
      `  gateway CPU/request ≤ 2× (pinned, --pin) / ≤ 1.6× (unpinned):  ${ratio(gateway.cpuMicrosPerRequest, baseline.cpuMicrosPerRequest)} ${flags.pin ? (cpuRatio <= 2 ? 'MET' : 'NOT MET') : cpuRatio <= 1.6 ? 'MET' : 'NOT MET'} (${flags.pin ? 'pinned' : 'unpinned'})`,
      `  peak RSS under load ≤ 1.2×:                                   ${ratio(gateway.peakRssMB, baseline.peakRssMB)} ${gateway.peakRssMB / baseline.peakRssMB <= 1.2 ? 'MET' : 'NOT MET'} (idle: gateway ${fixed(1)(idleRssMB.gateway)} MB, baseline ${fixed(1)(idleRssMB.baseline)} MB)`,
      `  p99 latency ≤ 1.5×:                                           ${ratio(gateway.latencyMs.p99, baseline.latencyMs.p99)} ${gateway.latencyMs.p99 / baseline.latencyMs.p99 <= 1.5 ? 'MET' : 'NOT MET'}`,
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
          otlp: traced ? { gateway: traced.result, received: traced.received, cpuRatioToGateway: traced.result.cpuMicrosPerRequest / gateway.cpuMicrosPerRequest } : undefined,
          idleRssMB,
          throughput: { gateway, baseline, ratio: { cpuMicrosPerRequest: cpuRatio, requestsPerSecond: gateway.requestsPerSecond / baseline.requestsPerSecond, peakRssMB: gateway.peakRssMB / baseline.peakRssMB } },
          latency,
          profile,
        },
        null,
        2,
      )}\n`,
    );
    const chart = renderChart({
      title: 'Seed order query: gateway vs a hand-written aggregator',
      subtitle: `${flags.connections} connections, ${flags.durationSeconds} s, ${flags.pin ? 'servers pinned to one core' : 'unpinned'}${flags.workers > 1 ? `, gateway ${flags.workers} workers` : ''}, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}`,
      series: [
        { label: 'Interchange gateway', cpuMicrosPerRequest: gateway.cpuMicrosPerRequest, peakRssMB: gateway.peakRssMB, idleRssMB: idleRssMB.gateway },
        { label: 'direct-call baseline', cpuMicrosPerRequest: baseline.cpuMicrosPerRequest, peakRssMB: baseline.peakRssMB, idleRssMB: idleRssMB.baseline },
      ],
    });
    const chartFile = flags.chart ?? join(RESULTS_DIR, `seed-query-${stamp}.svg`);
    writeFileSync(chartFile, chart);
    out.push('', `results: ${resultFile}`, `chart: ${chartFile}`);
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
