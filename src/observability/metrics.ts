import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createResilienceMetrics, type ResilienceMetrics } from './resilience-metrics.js';

/** The gateway's Prometheus metrics; one registry per gateway so tests and several gateways don't collide. */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly sourceCalls: Histogram<'source' | 'operation' | 'outcome'>;
  readonly sourceStreams: Counter<'source' | 'operation' | 'outcome'>;
  readonly cacheEvents: Counter<'source' | 'event'>;
  readonly httpRequests: Counter<'status'>;
  /** Replicas, breakers, retries, backpressure: a block of its own (resilience-metrics.ts). */
  readonly resilience: ResilienceMetrics;
}

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'interchange_' });
  return {
    registry,
    sourceCalls: new Histogram({
      name: 'interchange_source_call_duration_seconds',
      help: 'Source calls through the pipeline, by source, operation and outcome: ok, hit (fresh from cache, no backend call), stale, or the error code the client got.',
      labelNames: ['source', 'operation', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
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
      help: 'Cache outcomes per source: hit, miss, stale, bypass, store_error.',
      labelNames: ['source', 'event'],
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'interchange_http_requests_total',
      help: 'GraphQL HTTP requests by response status.',
      labelNames: ['status'],
      registers: [registry],
    }),
    resilience: createResilienceMetrics(registry),
  };
}
