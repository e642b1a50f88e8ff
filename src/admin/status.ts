import type { Generation } from '../gateway/generation.js';
import type { GatewayMetrics } from '../observability/metrics.js';

/** What the dashboard shows: the sources of the current generation and what their calls did so far. */
export interface AdminStatus {
  readonly startedAt: string;
  readonly generationLoadedAt: string;
  readonly cacheStore: string;
  readonly sources: readonly {
    name: string;
    kind: string;
    endpoints: readonly string[];
    operations: number;
    /** Calls by outcome: `ok`, `stale`, or an error code. */
    calls: Record<string, number>;
    cache: Record<string, number>;
  }[];
}

type MetricJson = { name: string; values: { value: number; labels: Record<string, string | number>; metricName?: string }[] };

export async function collectStatus(generation: Generation, generationLoadedAt: Date, metrics: GatewayMetrics, startedAt: Date): Promise<AdminStatus> {
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
    startedAt: startedAt.toISOString(),
    generationLoadedAt: generationLoadedAt.toISOString(),
    cacheStore: generation.config.cache.store.startsWith('redis') ? 'redis' : 'memory',
    sources: [...generation.sources.values()].map((source) => ({
      name: source.name,
      kind: source.config.kind,
      endpoints: source.config.endpoints,
      operations: [...source.converted.operations.values()].filter((op) => op.fieldName !== '*').length,
      calls: count(source.name),
      cache: cacheEvents(source.name),
    })),
  };
}
