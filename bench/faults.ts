/**
 * `npm run bench -- --faults` (issue 11): the seed query under steady load while backends fail. Two inventory
 * replicas and the single logistics backend run in processes of their own so they can be killed (SIGKILL),
 * frozen (SIGSTOP) and resumed (SIGCONT) for real; orders and reviews run in the usual backends process.
 *
 * Phases, one after the other under one uninterrupted load (after a warm-up that fills the cache):
 *   1. all up;
 *   2. inventory replica A killed at the start of the phase;
 *   3. logistics frozen at the start of the phase;
 *   4. logistics resumed at the start of the phase.
 * Before them, the direct-call baseline is measured under the same load with everything up, and each phase's
 * latency is reported as a ratio to it. See bench/README.md ("The fault run") for every number.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { SEED_QUERY } from '../test/helpers/demo-gateway.js';
import { startChild, type BenchChild } from './children.js';

export interface FaultBenchFlags {
  /** Seconds per phase. */
  readonly phaseSeconds: number;
  /** Seconds of load before the first phase (fills the cache; not reported). */
  readonly warmupSeconds: number;
  readonly connections: number;
}

/** What the fault run borrows from `run.ts`, so the processes start exactly as in the other runs. */
export interface FaultBenchDeps {
  readonly root: string;
  readonly resultsDir: string;
  readonly stamp: string;
  /** Writes the bench copy of interchange.yaml with `edit` applied; returns its path. */
  writeConfig(edit: (config: { sources: Record<string, unknown>[]; [key: string]: unknown }) => void): string;
  startBackends(): Promise<{ env: Record<string, string> }>;
  startGateway(configFile: string, env: Record<string, string>, name: string): Promise<BenchChild>;
  startBaseline(env: Record<string, string>, name: string): Promise<BenchChild>;
  gatewayUrlOf(child: BenchChild): string;
  baselineUrlOf(child: BenchChild): string;
}

const ADMIN_TOKEN = 'bench-fault-run-admin-token';
/** Call timeout of inventory and logistics in this run: a frozen backend costs this much before it is found out. */
const CALL_TIMEOUT_MS = 1_000;

interface Sample {
  readonly startedAt: number;
  readonly latencyMs: number;
  readonly status: number;
  /** The response had `errors`. */
  readonly failed: boolean;
  /** The response had `extensions.stale`. */
  readonly stale: boolean;
}

interface PhaseReport {
  readonly name: string;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly failed: number;
  readonly non200: number;
  readonly stale: number;
  readonly p50: number;
  readonly p99: number;
  readonly p50VsBaseline: number;
  readonly p99VsBaseline: number;
  /** Calls the gateway sent to the killed inventory replica and to logistics during the phase. */
  readonly callsToInventoryA: number;
  readonly callsToLogistics: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Steady load on `url`: `connections` loops, each sending the seed query as soon as its previous answer came. */
function startLoad(url: string, connections: number): { samples: Sample[]; stop(): Promise<void> } {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections });
  const body = JSON.stringify({ query: SEED_QUERY });
  const samples: Sample[] = [];
  let running = true;
  const loop = async () => {
    while (running) {
      const startedAt = performance.now();
      try {
        const response = await pool.request({ method: 'POST', path: target.pathname, headers: { 'content-type': 'application/json' }, body });
        const parsed = (await response.body.json()) as { errors?: unknown[]; extensions?: { stale?: unknown } };
        samples.push({ startedAt, latencyMs: performance.now() - startedAt, status: response.statusCode, failed: (parsed.errors?.length ?? 0) > 0, stale: parsed.extensions?.stale !== undefined });
      } catch {
        samples.push({ startedAt, latencyMs: performance.now() - startedAt, status: 0, failed: true, stale: false });
      }
    }
  };
  const loops = Array.from({ length: connections }, loop);
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(loops);
      await pool.close();
    },
  };
}

interface ReplicaView {
  url: string;
  calls: number;
  condition: string;
}
interface SourceView {
  name: string;
  circuit: string | null;
  replicas: ReplicaView[];
}

async function gatewayStatus(gatewayUrl: string): Promise<SourceView[]> {
  const response = await fetch(new URL('/admin/api/status', gatewayUrl), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return ((await response.json()) as { sources: SourceView[] }).sources;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const oneBackend = (root: string, name: string, backend: string) =>
  startChild({ name, entry: 'test/fixtures/one-backend.ts', args: [backend, '0'], cwd: root, ready: (line) => /^ready (\S+)/.exec(line)?.[1] });

export async function runFaultBench(flags: FaultBenchFlags, deps: FaultBenchDeps): Promise<void> {
  process.stdout.write(
    `Interchange fault bench: seed query, ${flags.connections} connections, ${flags.warmupSeconds} s warm-up, ${flags.phaseSeconds} s per phase, call timeout ${CALL_TIMEOUT_MS} ms\n`,
  );
  const { env } = await deps.startBackends();
  const [inventoryA, inventoryB, logistics] = await Promise.all([oneBackend(deps.root, 'inventory-a', 'inventory'), oneBackend(deps.root, 'inventory-b', 'inventory'), oneBackend(deps.root, 'logistics', 'logistics')]);
  const urls = { inventoryA: inventoryA.ready as string, inventoryB: inventoryB.ready as string, logistics: logistics.ready as string };
  const configFile = deps.writeConfig((config) => {
    config['admin'] = { token: ADMIN_TOKEN };
    for (const source of config.sources) {
      // Stale answers on: with the cache warm, a failing logistics should cost no non-200 and no error.
      source['cache'] = { ttl: 0, staleIfError: 3600 };
      if (source['name'] === 'inventory') Object.assign(source, { endpoints: [urls.inventoryA, urls.inventoryB], timeoutMs: CALL_TIMEOUT_MS });
      if (source['name'] === 'logistics') Object.assign(source, { endpoints: [urls.logistics], timeoutMs: CALL_TIMEOUT_MS });
    }
  });
  const runEnv = { ...env, INVENTORY_URL: urls.inventoryB, LOGISTICS_URL: urls.logistics };

  // ---- the direct-call baseline, everything up (it knows one inventory endpoint: B)
  process.stdout.write('measuring the baseline, all up...\n');
  const baseline = await deps.startBaseline(runEnv, 'baseline');
  const baselineLoad = startLoad(deps.baselineUrlOf(baseline), flags.connections);
  await sleep(flags.phaseSeconds * 1000);
  await baselineLoad.stop();
  await baseline.stop();
  const baselineLatencies = baselineLoad.samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const base = { requests: baselineLoad.samples.length, failed: baselineLoad.samples.filter((s) => s.failed || s.status !== 200).length, p50: percentile(baselineLatencies, 50), p99: percentile(baselineLatencies, 99) };

  // ---- the gateway under faults
  const gateway = await deps.startGateway(configFile, runEnv, 'gateway');
  const gatewayUrl = deps.gatewayUrlOf(gateway);
  const load = startLoad(gatewayUrl, flags.connections);
  process.stdout.write('warming up the gateway (fills the cache)...\n');
  await sleep(flags.warmupSeconds * 1000);

  // The logistics breaker's state, sampled every 50 ms, for when it opened and closed.
  const circuitLog: { at: number; state: string | null }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      try {
        const logisticsView = (await gatewayStatus(gatewayUrl)).find((s) => s.name === 'logistics');
        const state = logisticsView?.circuit ?? null;
        if (circuitLog.at(-1)?.state !== state) circuitLog.push({ at: performance.now(), state });
      } catch (error) {
        process.stderr.write(`admin status: ${error instanceof Error ? error.message : String(error)}\n`);
      }
      await sleep(50);
    }
  })();

  const callsTo = async () => {
    const sources = await gatewayStatus(gatewayUrl);
    const replica = (source: string, url: string) => sources.find((s) => s.name === source)?.replicas.find((r) => r.url === url)?.calls ?? 0;
    return { inventoryA: replica('inventory', urls.inventoryA), logistics: replica('logistics', urls.logistics) };
  };
  const phases: { name: string; from: number; to: number; calls: { inventoryA: number; logistics: number } }[] = [];
  const phase = async (name: string, fault: () => void) => {
    const before = await callsTo();
    const from = performance.now();
    fault();
    process.stdout.write(`phase: ${name}\n`);
    await sleep(flags.phaseSeconds * 1000);
    const after = await callsTo();
    const metrics = await (await fetch(new URL('/metrics', gatewayUrl))).text();
    process.stdout.write(`${metrics.split('\n').filter((line) => line.startsWith('interchange_circuit_transitions_total') || line.startsWith('interchange_source_retries_total') || line.startsWith('interchange_replica_ejections_total')).join('\n')}\n`);
    phases.push({ name, from, to: performance.now(), calls: { inventoryA: after.inventoryA - before.inventoryA, logistics: after.logistics - before.logistics } });
  };
  let frozenAt = 0;
  let resumedAt = 0;
  try {
    await phase('all up', () => undefined);
    await phase('inventory A killed', () => process.kill(inventoryA.pid, 'SIGKILL'));
    await phase('logistics frozen', () => {
      frozenAt = performance.now();
      process.kill(logistics.pid, 'SIGSTOP');
    });
    await phase('logistics resumed', () => {
      resumedAt = performance.now();
      process.kill(logistics.pid, 'SIGCONT');
    });
  } finally {
    process.kill(logistics.pid, 'SIGCONT');
    sampling = false;
    await sampler.catch(() => undefined);
    await load.stop();
    await gateway.stop();
    await Promise.all([inventoryB.stop(), logistics.stop(), inventoryA.stop()]);
  }

  const opened = circuitLog.find((entry) => entry.at >= frozenAt && entry.state === 'open');
  const closed = circuitLog.find((entry) => entry.at >= resumedAt && entry.state === 'closed');
  const reports: PhaseReport[] = phases.map(({ name, from, to, calls }) => {
    const samples = load.samples.filter((s) => s.startedAt >= from && s.startedAt < to);
    const latencies = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    return {
      name,
      requests: samples.length,
      requestsPerSecond: samples.length / ((to - from) / 1000),
      failed: samples.filter((s) => s.failed).length,
      non200: samples.filter((s) => s.status !== 200).length,
      stale: samples.filter((s) => s.stale).length,
      p50,
      p99,
      p50VsBaseline: p50 / base.p50,
      p99VsBaseline: p99 / base.p99,
      callsToInventoryA: calls.inventoryA,
      callsToLogistics: calls.logistics,
    };
  });

  const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
  const columns: [string, (r: PhaseReport) => string][] = [
    ['requests', (r) => String(r.requests)],
    ['requests/s', (r) => fmt(r.requestsPerSecond, 0)],
    ['failed (errors)', (r) => String(r.failed)],
    ['non-200', (r) => String(r.non200)],
    ['stale answers', (r) => String(r.stale)],
    ['latency p50 (ms)', (r) => fmt(r.p50)],
    ['latency p99 (ms)', (r) => fmt(r.p99)],
    ['p50 / baseline', (r) => fmt(r.p50VsBaseline, 2)],
    ['p99 / baseline', (r) => fmt(r.p99VsBaseline, 2)],
    ['calls to inventory A', (r) => String(r.callsToInventoryA)],
    ['calls to logistics', (r) => String(r.callsToLogistics)],
  ];
  const width = 22;
  const out = [
    '',
    `direct-call baseline, all up: ${base.requests} requests, ${base.failed} failed, p50 ${fmt(base.p50)} ms, p99 ${fmt(base.p99)} ms`,
    '',
    ['', ...reports.map((r) => r.name)].map((cell) => cell.padEnd(width)).join(''),
    ...columns.map(([label, cell]) => [label, ...reports.map(cell)].map((c) => c.padEnd(width)).join('')),
    '',
    `logistics breaker: opened ${opened ? `${fmt(opened.at - frozenAt, 0)} ms after the freeze` : 'never'}, closed ${closed ? `${fmt(closed.at - resumedAt, 0)} ms after the resume` : 'not within the phase'} (sampled every 50 ms)`,
    `breaker states seen: ${circuitLog.map((entry) => entry.state).join(' → ')}`,
  ];
  const resultFile = join(deps.resultsDir, `faults-${deps.stamp}.json`);
  writeFileSync(
    resultFile,
    `${JSON.stringify({ at: new Date().toISOString(), node: process.version, flags, callTimeoutMs: CALL_TIMEOUT_MS, baseline: base, phases: reports, breaker: { openedAfterMs: opened ? opened.at - frozenAt : null, closedAfterMs: closed ? closed.at - resumedAt : null, states: circuitLog.map((e) => e.state) } }, null, 2)}\n`,
  );
  out.push('', `results: ${resultFile}`);
  process.stdout.write(`${out.join('\n')}\n`);
  const replicaPhases = reports.slice(0, 2);
  if (replicaPhases.some((r) => r.failed > 0) || reports.some((r) => r.non200 > 0)) process.exitCode = 1;
}
