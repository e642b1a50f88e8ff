import { createGatewayEvents, type GatewayEvents } from './events.js';
import { createStatsHistory, type StatsHistory } from './history.js';
import type { GatewayMetrics } from './metrics.js';
import { createReachability, type Reachability } from './reachability.js';
import type { Tracing } from './tracing.js';

/**
 * What the gateway's observability shares with every stage and plugin beside the Prometheus registry: the
 * dashboard's history, the events hook the features report to, and tracing when it is configured. One per
 * gateway; it outlives generations.
 */
export interface Telemetry {
  readonly history: StatsHistory;
  /** Where breaker, replica-health, retry, rate-limit, abuse, reload and stale events are reported. */
  readonly events: GatewayEvents;
  /** Present only when `telemetry.otlp.endpoint` is set: with it undefined, no span is ever made. */
  readonly tracing: Tracing | undefined;
  /** When each source last answered (calls, health checks, readiness probes), for `/readyz`. */
  readonly reachability: Reachability;
}

export function createTelemetry(options: { metrics?: GatewayMetrics; tracing?: Tracing | undefined; now?: () => number } = {}): Telemetry {
  return {
    history: createStatsHistory(options.now ? { now: options.now } : {}),
    events: createGatewayEvents({ ...(options.metrics ? { metrics: options.metrics } : {}), ...(options.now ? { now: options.now } : {}) }),
    tracing: options.tracing,
    reachability: createReachability(options.now),
  };
}
