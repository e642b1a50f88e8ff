import type { GatewayMetrics } from '../observability/metrics.js';
import type { SourceResilienceStatus } from '../pipeline/index.js';

/** What the admin status needs to know about the gateway: a narrow view, not its internals. */
export interface StatusView {
  readonly startedAt: Date;
  /** When the configuration serving now was loaded. */
  readonly loadedAt: Date;
  readonly cacheStore: 'memory' | 'redis';
  readonly sources: readonly SourceView[];
  /** Sources of the config left out because their schema could not be loaded; retried in the background. */
  readonly missing?: readonly { readonly name: string; readonly reason: string }[];
}

export interface SourceView {
  readonly name: string;
  readonly kind: string;
  readonly endpoints: readonly string[];
  /** Root fields it exposes. */
  readonly operations: number;
  /** Its pipeline's stages, outermost first. */
  readonly stages: readonly string[];
  /** Where its schema came from: `spec` (a file), `fetched` (introspection, reflection, a spec URL) or `snapshot` (the last fetched one, the backend being down). */
  readonly schema?: string;
  /** Its circuit breaker (`closed`, `half-open`, `open`, or null without one). */
  readonly circuit: SourceResilienceStatus['circuit'];
  /** Each replica: group, weight, condition (`up`, `ejected`, `probation`, `unhealthy`, `circuit-open`), calls in flight, ejections, its breaker. */
  readonly replicas: SourceResilienceStatus['replicas'];
}

/** What the dashboard shows: the sources serving now and what their calls did so far. */
export interface AdminStatus {
  readonly startedAt: string;
  readonly generationLoadedAt: string;
  readonly cacheStore: string;
  /** Sources left out (schema not loadable now), with why. */
  readonly missingSources: readonly { readonly name: string; readonly reason: string }[];
  readonly sources: readonly (Omit<SourceView, 'stages'> & {
    stages: readonly string[];
    /** Calls by outcome: `ok`, `hit`, `stale`, or an error code. */
    calls: Record<string, number>;
    cache: Record<string, number>;
  })[];
}

type MetricJson = { name: string; values: { value: number; labels: Record<string, string | number>; metricName?: string }[] };

export async function collectStatus(view: StatusView, metrics: GatewayMetrics): Promise<AdminStatus> {
  const all = (await metrics.registry.getMetricsAsJSON()) as unknown as MetricJson[];
  const calls = all.find((m) => m.name === 'interchange_source_call_duration_seconds');
  const cache = all.find((m) => m.name === 'interchange_cache_events_total');
  const count = (source: string) => {
    const out: Record<string, number> = {};
    for (const v of calls?.values ?? []) {
      if (v.metricName === 'interchange_source_call_duration_seconds_count' && v.labels['source'] === source) {
        const outcome = String(v.labels['outcome']);
        out[outcome] = (out[outcome] ?? 0) + v.value;
      }
    }
    return out;
  };
  const cacheEvents = (source: string) => {
    const out: Record<string, number> = {};
    for (const v of cache?.values ?? []) if (v.labels['source'] === source) out[String(v.labels['event'])] = v.value;
    return out;
  };
  return {
    startedAt: view.startedAt.toISOString(),
    generationLoadedAt: view.loadedAt.toISOString(),
    cacheStore: view.cacheStore,
    missingSources: view.missing ?? [],
    sources: view.sources.map((source) => ({ ...source, calls: count(source.name), cache: cacheEvents(source.name) })),
  };
}
