/**
 * The two measurements of the benchmark: a throughput run (autocannon, warm-up then a measured window with CPU,
 * RSS and backend calls read around it) and a latency run (sequential requests, median).
 */
import autocannon from 'autocannon';
import { request } from 'undici';
import type { BackendCallCounts, BackendName } from './backends-main.js';
import { isAlive, type BenchChild } from './children.js';
import { readCpuTicks, sampleRss } from './proc-stats.js';

export const GRAPHQL_HEADERS = { 'content-type': 'application/json', accept: 'application/graphql-response+json' } as const;

/** Reads and resets the call counters of the backends process (its control server, see backends-main.ts). */
export interface BackendControl {
  readonly pid: number;
  stats(): Promise<BackendCallCounts>;
  reset(): Promise<void>;
  /** Closes one backend's server: its port refuses connections until `start`. */
  stop(backend: BackendName): Promise<void>;
  /** Starts a stopped backend again on the same port (with new call counters). */
  start(backend: BackendName): Promise<void>;
}

/**
 * What every response body must be: the exact string (so a wrong field order counts too), or a function that
 * says whether a body is right, for answers that vary (the `age` of a stale value).
 */
export type BodyExpectation = string | ((body: string) => boolean);

export function backendControl(child: BenchChild, controlUrl: string): BackendControl {
  return {
    pid: child.pid,
    async stats() {
      const { statusCode, body } = await request(`${controlUrl}/stats`);
      if (statusCode !== 200) throw new Error(`backend stats: HTTP ${statusCode}`);
      return (await body.json()) as BackendCallCounts;
    },
    async reset() {
      const { statusCode, body } = await request(`${controlUrl}/reset`, { method: 'POST' });
      await body.dump();
      if (statusCode !== 204) throw new Error(`backend stats reset: HTTP ${statusCode}`);
    },
    stop: (backend) => toggle('stop', backend),
    start: (backend) => toggle('start', backend),
  };

  async function toggle(action: 'stop' | 'start', backend: BackendName): Promise<void> {
    const { statusCode, body } = await request(`${controlUrl}/${action}?backend=${backend}`, { method: 'POST' });
    const text = await body.text();
    if (statusCode !== 204) throw new Error(`${action} ${backend}: HTTP ${statusCode} ${text}`);
  }
}

export interface ThroughputOptions {
  url: string;
  /** The request body (`{"query": ...}`). */
  body: string;
  /** What every response body (warm-up included) must be. */
  expectedBody: BodyExpectation;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  clockTicks: number;
  /** The process under test, whose /proc is read. */
  target: BenchChild;
  backends: BackendControl;
  /** Headers sent with every request beside the GraphQL ones (the `--auth` run's bearer token). Default none. */
  headers?: Readonly<Record<string, string>>;
}

export interface ThroughputResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  /** CPU time (user + system) of the target per completed request, in microseconds. */
  cpuMicrosPerRequest: number;
  /** CPU time of the target over the window as a share of one core, 0..100 per core. */
  cpuPercentOfCore: number;
  /** Highest VmRSS sampled (every 100 ms) during the measured window, in MB (10^6 bytes). */
  peakRssMB: number;
  /** VmHWM at the end of the window: the highest RSS over the process's whole life, start-up included, in MB. */
  lifetimeHwmMB: number;
  /** Backend calls per completed request, all backends and per backend. */
  backendCallsPerRequest: number;
  backendCallsPerRequestBy: Record<string, number>;
  backendCallsByOperation: Record<string, number>;
  /** CPU of the demo backends process per request, for context (it shares the machine). */
  backendsCpuMicrosPerRequest: number;
  /** The measured window in CLOCK_MONOTONIC microseconds, the clock of V8's CPU profiles: for the profile summary. */
  monotonicWindowUs: { from: number; to: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  warmup: { requests: number; errors: number; non2xx: number; mismatches: number };
  /** The first body that did not match, cut to 500 characters, if any. */
  firstMismatch?: string;
}

function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1_000n);
}

/** Keeps the first mismatching body of a run so a failure can be shown, not only counted. */
function bodyChecker(expected: BodyExpectation): { verify: (body: unknown) => boolean; firstMismatch: () => string | undefined } {
  let first: string | undefined;
  const matches = typeof expected === 'string' ? (body: unknown) => body === expected : (body: unknown) => typeof body === 'string' && expected(body);
  return {
    verify(body) {
      if (matches(body)) return true;
      first ??= String(body).slice(0, 500);
      return false;
    },
    firstMismatch: () => first,
  };
}

function runAutocannon(options: ThroughputOptions, seconds: number, verify: (body: unknown) => boolean): Promise<autocannon.Result> {
  return autocannon({
    url: options.url,
    method: 'POST',
    headers: { ...GRAPHQL_HEADERS, ...options.headers },
    body: options.body,
    connections: options.connections,
    duration: seconds,
    verifyBody: verify as (body: unknown) => boolean,
  });
}

export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const { target, backends, clockTicks } = options;
  const warmupCheck = bodyChecker(options.expectedBody);
  const warmup = await runAutocannon(options, options.warmupSeconds, warmupCheck.verify);

  await backends.reset();
  const check = bodyChecker(options.expectedBody);
  const rss = sampleRss(target.pid);
  const cpuBefore = readCpuTicks(target.pid);
  const backendsCpuBefore = readCpuTicks(backends.pid);
  const startedAt = performance.now();
  const startedAtUs = monotonicMicros();
  const result = await runAutocannon(options, options.durationSeconds, check.verify);
  const endedAtUs = monotonicMicros();
  const endedAt = performance.now();
  if (!isAlive(target.pid)) throw new Error(`${target.name} died during the measured window`);
  const cpuAfter = readCpuTicks(target.pid);
  const backendsCpuAfter = readCpuTicks(backends.pid);
  const memory = rss.stop();
  const counts = await backends.stats();

  const requests = result.requests.total;
  const perRequest = (value: number): number => (requests > 0 ? value / requests : Number.NaN);
  const ticksToMicros = (ticks: number): number => (ticks / clockTicks) * 1e6;
  const seconds = (endedAt - startedAt) / 1_000;
  const callsBy: Record<string, number> = {};
  const byOperation: Record<string, number> = {};
  let calls = 0;
  for (const [name, stats] of Object.entries(counts)) {
    callsBy[name] = perRequest(stats.calls);
    calls += stats.calls;
    for (const [operation, count] of Object.entries(stats.byOperation)) byOperation[`${name}.${operation}`] = count;
  }
  const firstMismatch = check.firstMismatch() ?? warmupCheck.firstMismatch();
  return {
    requests,
    seconds,
    requestsPerSecond: requests / seconds,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean, max: result.latency.max },
    cpuMicrosPerRequest: perRequest(ticksToMicros(cpuAfter - cpuBefore)),
    cpuPercentOfCore: ((cpuAfter - cpuBefore) / clockTicks / seconds) * 100,
    peakRssMB: (memory.peakRssKiB * 1024) / 1e6,
    lifetimeHwmMB: (memory.hwmKiB * 1024) / 1e6,
    backendCallsPerRequest: perRequest(calls),
    backendCallsPerRequestBy: callsBy,
    backendCallsByOperation: byOperation,
    backendsCpuMicrosPerRequest: perRequest(ticksToMicros(backendsCpuAfter - backendsCpuBefore)),
    monotonicWindowUs: { from: startedAtUs, to: endedAtUs },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
    warmup: { requests: warmup.requests.total, errors: warmup.errors, non2xx: warmup.non2xx, mismatches: warmup.mismatches },
    ...(firstMismatch === undefined ? {} : { firstMismatch }),
  };
}

export interface LatencyOptions {
  url: string;
  body: string;
  expectedBody: BodyExpectation;
  /** Measured requests, sent one after the other after one unmeasured request. */
  requests: number;
  backends: BackendControl;
}

export interface LatencyResult {
  requests: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  samplesMs: number[];
  mismatches: number;
  /** Exact here: the requests are sequential. */
  backendCallsPerRequestBy: Record<string, number>;
  firstMismatch?: string;
}

/** One unmeasured request (connection set-up), then `requests` sequential ones over one keep-alive connection. */
export async function measureLatency(options: LatencyOptions): Promise<LatencyResult> {
  async function send(): Promise<string> {
    const { body } = await request(options.url, { method: 'POST', headers: GRAPHQL_HEADERS, body: options.body });
    return body.text();
  }
  await send();
  await options.backends.reset();
  const samplesMs: number[] = [];
  let mismatches = 0;
  const check = bodyChecker(options.expectedBody);
  for (let index = 0; index < options.requests; index++) {
    const startedAt = performance.now();
    const text = await send();
    samplesMs.push(performance.now() - startedAt);
    if (!check.verify(text)) mismatches++;
  }
  const firstMismatch = check.firstMismatch();
  const counts = await options.backends.stats();
  const callsBy: Record<string, number> = {};
  for (const [name, stats] of Object.entries(counts)) callsBy[name] = stats.calls / options.requests;
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    requests: options.requests,
    medianMs: median(sorted),
    minMs: sorted[0] ?? Number.NaN,
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    samplesMs,
    mismatches,
    backendCallsPerRequestBy: callsBy,
    ...(firstMismatch === undefined ? {} : { firstMismatch }),
  };
}

function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
