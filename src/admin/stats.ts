import { LATENCY_BOUNDS_MS, type HistoryWindow, type OperationStats, type RecentStats, type SourceRecent, type SourceTrend } from '../observability/history.js';
import type { BreakerState, RecordedEvent } from '../observability/events.js';
import type { Telemetry } from '../observability/telemetry.js';
import type { StatusView } from './status.js';

/**
 * `/admin/api/stats`: what the dashboard draws, from the gateway's own bounded history. A `snapshot` carries the
 * last hour; each `tick` after it carries the seconds completed since, the events since, and the current state
 * of every source (replacing the previous one). JSON, or an SSE stream of `snapshot` then one `tick` a second.
 */

/** Green, amber, red or grey on the dashboard. */
export type Health = 'ok' | 'degraded' | 'down' | 'idle';

export interface ReplicaStats extends RecentStats {
  readonly endpoint: string;
  /** Last health reported (passively by its calls, or by active checks); null when nothing was reported. */
  readonly healthy: boolean | null;
  readonly health: Health;
}

export interface SourceStats {
  readonly name: string;
  readonly kind: string;
  readonly endpoints: readonly string[];
  readonly health: Health;
  /** The state of the source's breaker now; null when it has none (`breaker.enabled: false`). */
  readonly breaker: BreakerState | null;
  readonly staleServing: boolean;
  /** The last 10 seconds. */
  readonly recent: SourceRecent;
  readonly replicas: readonly ReplicaStats[];
  /** Per minute over the last hour: backend p95 and error rate, the trend that says which backend to look at first. */
  readonly trend: SourceTrend;
  /** p95 of the last 5 minutes ÷ p95 of the hour before them (null without calls in either). */
  readonly p95Change: number | null;
}

export interface StatsMessage {
  /** Epoch ms when it was made. */
  readonly now: number;
  readonly startedAt: string;
  readonly configLoadedAt: string;
  readonly configVersion: number;
  readonly latencyBoundsMs: readonly number[];
  /** The seconds this message adds: the last hour in a snapshot, the seconds completed since in a tick. */
  readonly history: HistoryWindow;
  readonly gateway: { readonly requestsPerSecond: number; readonly errorRate: number; readonly p95Ms: number | null };
  readonly sources: readonly SourceStats[];
  /** Source names, the one most worth a look first. */
  readonly lookFirst: readonly string[];
  /** The slowest operations of the last hour (p95), at most 10. */
  readonly operations: readonly OperationStats[];
  /** All recent events in a snapshot; those new or counted again since the last message in a tick. */
  readonly events: readonly RecordedEvent[];
  /** Memory held by the history now, in bytes. */
  readonly historyBytes: number;
}

/** Where a stream stands: the last second and event it sent. */
export interface StatsCursor {
  second: number;
  eventSeq: number;
}

export interface StatsSource {
  view(): StatusView & { readonly configVersion: number };
  readonly telemetry: Telemetry;
}

const RECENT_SECONDS = 10;

function sourceHealth(recent: SourceRecent, replicas: readonly ReplicaStats[], breaker: BreakerState | null, stale: boolean): Health {
  if (breaker === 'open' || (replicas.length > 0 && replicas.every((r) => r.health === 'down'))) return 'down';
  if (recent.callsPerSecond > 0 && recent.errorRate >= 0.5) return 'down';
  if (breaker === 'half_open' || stale || recent.errorRate > 0.05 || recent.clientErrorRate > 0.05 || replicas.some((r) => r.health === 'down')) return 'degraded';
  return recent.requestsPerSecond === 0 ? 'idle' : 'ok';
}

function replicaHealth(stats: RecentStats, healthy: boolean | null): Health {
  if (healthy === false) return 'down';
  if (stats.callsPerSecond === 0) return healthy === null ? 'idle' : 'ok';
  if (stats.errorRate >= 0.5) return 'down';
  return stats.errorRate > 0.05 ? 'degraded' : 'ok';
}

/** The p95 of the last 5 minutes against that of the 55 before (per-minute p95s weighted by calls). */
function p95Change(trend: SourceTrend): number | null {
  const weighted = (from: number, to: number) => {
    let sum = 0;
    let calls = 0;
    for (let i = from; i < to; i++) {
      const p = trend.p95Ms[i];
      if (p === null || p === undefined) continue;
      sum += p * trend.calls[i]!;
      calls += trend.calls[i]!;
    }
    return calls === 0 ? null : sum / calls;
  };
  const n = trend.p95Ms.length;
  const recent = weighted(n - 5, n);
  const before = weighted(0, n - 5);
  return recent === null || before === null || before === 0 ? null : recent / before;
}

const HEALTH_WEIGHT: Record<Health, number> = { down: 1000, degraded: 100, ok: 0, idle: 0 };

function message(source: StatsSource, fromSecond: number, events: readonly RecordedEvent[]): StatsMessage {
  const { history, events: eventLog } = source.telemetry;
  const view = source.view();
  const recentSources = history.recentSources(RECENT_SECONDS);
  const recentReplicas = history.recentReplicas(RECENT_SECONDS);
  const sources = view.sources.map((s): SourceStats => {
    // The breaker the serving generation has, not the last one that reported: a reload may have replaced it
    // (closed) or switched it off.
    const breaker: BreakerState | null = s.circuit === null ? null : s.circuit === 'half-open' ? 'half_open' : s.circuit;
    const staleServing = eventLog.servingStale(s.name);
    const recent = recentSources[s.name] ?? { callsPerSecond: 0, errorRate: 0, p95Ms: null, requestsPerSecond: 0, hitRatio: 0, staleRatio: 0, clientErrorRate: 0 };
    const replicas = s.endpoints.map((endpoint): ReplicaStats => {
      const stats = recentReplicas[s.name]?.[endpoint] ?? { callsPerSecond: 0, errorRate: 0, p95Ms: null };
      const healthy = eventLog.replicaHealth(s.name, endpoint)?.healthy ?? null;
      return { endpoint, ...stats, healthy, health: replicaHealth(stats, healthy) };
    });
    const trend = history.trend(s.name, 60) ?? { from: 0, step: 60, p95Ms: [], errorRate: [], calls: [] };
    return { name: s.name, kind: s.kind, endpoints: s.endpoints, health: sourceHealth(recent, replicas, breaker, staleServing), breaker, staleServing, recent, replicas, trend, p95Change: p95Change(trend) };
  });
  const concern = (s: SourceStats) => HEALTH_WEIGHT[s.health] + 100 * Math.max(s.recent.errorRate, s.recent.clientErrorRate) + 10 * Math.max(0, (s.p95Change ?? 1) - 1);
  return {
    now: Date.now(),
    startedAt: view.startedAt.toISOString(),
    configLoadedAt: view.loadedAt.toISOString(),
    configVersion: view.configVersion,
    latencyBoundsMs: LATENCY_BOUNDS_MS,
    history: history.window(fromSecond),
    gateway: history.recentGateway(RECENT_SECONDS),
    sources,
    lookFirst: [...sources].sort((a, b) => concern(b) - concern(a)).map((s) => s.name),
    operations: history.operations().slice(0, 10),
    events,
    historyBytes: history.memoryBytes(),
  };
}

/** The last hour and every recent event; moves `cursor` to what it sent. */
export function statsSnapshot(source: StatsSource, cursor?: StatsCursor): StatsMessage {
  const { history, events } = source.telemetry;
  const last = history.lastCompleteSecond();
  const recent = events.recent();
  if (cursor) {
    cursor.second = last;
    cursor.eventSeq = recent.at(-1)?.seq ?? cursor.eventSeq;
  }
  return message(source, last - history.capacity.seconds + 1, recent);
}

/** What happened since `cursor`; moves it on. */
export function statsTick(source: StatsSource, cursor: StatsCursor): StatsMessage {
  const { history, events } = source.telemetry;
  const fresh = events.since(cursor.eventSeq);
  const out = message(source, cursor.second + 1, fresh);
  cursor.second = history.lastCompleteSecond();
  cursor.eventSeq = fresh.at(-1)?.seq ?? cursor.eventSeq;
  return out;
}
