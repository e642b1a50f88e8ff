import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createResilienceMetrics, type ResilienceMetrics } from './resilience-metrics.js';

/** The gateway's Prometheus metrics; one registry per gateway so tests and several gateways don't collide. */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly sourceCalls: Histogram<'source' | 'operation' | 'outcome'>;
  readonly sourceStreams: Counter<'source' | 'operation' | 'outcome'>;
  readonly cacheEvents: Counter<'source' | 'event'>;
  readonly httpRequests: Counter<'status'>;
  // ---- observability (issue 12): requests, real backend calls, reloads, reported events
  /** GraphQL requests by (bounded) operation name, operation type and outcome; `_count` is the request count. */
  readonly graphqlRequests: Histogram<'operation' | 'type' | 'outcome'>;
  /** Calls that reached a transport (each attempt, each replica), by outcome: `ok` or the error code. */
  readonly backendCalls: Histogram<'source' | 'replica' | 'outcome'>;
  readonly backendInFlight: Gauge<'source' | 'replica'>;
  /**
   * The in-flight counter of one replica: callers add and subtract on it directly, and the gauge reads every
   * counter when scraped, so the hot path does no label hashing.
   */
  inFlightCounter(source: string, replica: string): { count: number };
  readonly configReloads: Counter<'result'>;
  readonly configVersion: Gauge;
  readonly configLoadedAt: Gauge;
  /** Events reported through `Telemetry.events` (breaker, replica health, retries, rate limits, abuse, stale). */
  readonly gatewayEvents: Counter<'type' | 'source'>;
  /** Replicas, breakers, retries, backpressure: a block of its own (resilience-metrics.ts). */
  readonly resilience: ResilienceMetrics;
}

/** Latency buckets of the duration histograms, in seconds. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  const inFlight = new Map<string, { readonly labels: { source: string; replica: string }; count: number }>();
  collectDefaultMetrics({ register: registry, prefix: 'interchange_' });
  return {
    registry,
    sourceCalls: new Histogram({
      name: 'interchange_source_call_duration_seconds',
      help: 'Source calls through the pipeline, by source, operation and outcome: ok, hit (fresh from cache, no backend call), stale, or the error code the client got.',
      labelNames: ['source', 'operation', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    sourceStreams: new Counter({
      name: 'interchange_source_streams_total',
      help: 'Backend streams (Subscription fields) by source, operation and how they ended: ok, or the error code the client got.',
      labelNames: ['source', 'operation', 'outcome'],
      registers: [registry],
    }),
    cacheEvents: new Counter({
      name: 'interchange_cache_events_total',
      help: 'Cache outcomes per source: hit, miss, stale, revalidated (a 304 refreshed a stale entry), bypass, refresh_error, store_error.',
      labelNames: ['source', 'event'],
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'interchange_http_requests_total',
      help: 'GraphQL HTTP requests by response status.',
      labelNames: ['status'],
      registers: [registry],
    }),
    // ---- observability (issue 12)
    graphqlRequests: new Histogram({
      name: 'interchange_graphql_request_duration_seconds',
      help: 'GraphQL requests by the name of the operation that ran (telemetry.operationNames and the trusted documents\' names, else "other"; "anonymous"), operation type and outcome: ok, stale (served with a stale answer), or the code of the first error.',
      labelNames: ['operation', 'type', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    backendCalls: new Histogram({
      name: 'interchange_backend_call_duration_seconds',
      help: 'Calls that reached a backend (every attempt, on the replica it went to; cache hits and stale answers make none), by outcome: ok, the error code of the failure, or CANCELLED (its client went away).',
      labelNames: ['source', 'replica', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    backendInFlight: new Gauge({
      name: 'interchange_backend_calls_in_flight',
      help: 'Backend calls started and not finished yet, by source and replica.',
      labelNames: ['source', 'replica'],
      registers: [registry],
      collect() {
        for (const { labels, count } of inFlight.values()) this.set(labels, count);
      },
    }),
    inFlightCounter(source, replica) {
      const key = `${source}\u0000${replica}`;
      let counter = inFlight.get(key);
      if (!counter) inFlight.set(key, (counter = { labels: { source, replica }, count: 0 }));
      return counter;
    },
    configReloads: new Counter({
      name: 'interchange_config_reloads_total',
      help: 'Configuration reloads by result: ok, or failed (the old configuration kept serving).',
      labelNames: ['result'],
      registers: [registry],
    }),
    configVersion: new Gauge({
      name: 'interchange_config_version',
      help: 'Generation number of the configuration serving now: 1 at start, +1 on each successful reload.',
      registers: [registry],
    }),
    configLoadedAt: new Gauge({
      name: 'interchange_config_loaded_timestamp_seconds',
      help: 'When the configuration serving now was loaded (Unix time).',
      registers: [registry],
    }),
    gatewayEvents: new Counter({
      name: 'interchange_events_total',
      help: 'Events reported to the dashboard by type (breaker, replica_health, retry, rate_limited, abuse, stale_started, stale_ended, reload) and source ("" when none).',
      labelNames: ['type', 'source'],
      registers: [registry],
    }),
    resilience: createResilienceMetrics(registry),
  };
}
