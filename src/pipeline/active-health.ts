import type { Logger } from '../observability/logger.js';
import type { HealthConfig } from '../sources/resilience-config.js';
import type { HealthCheck } from '../sources/types.js';
import type { ReplicaPool } from './replicas.js';

/** `health.active` with its defaults applied (see `healthSchema`). */
export interface ActiveHealthSettings {
  readonly check: HealthCheck;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly unhealthyAfter: number;
  readonly healthyAfter: number;
}

export function activeHealthSettingsOf(config: HealthConfig | undefined): ActiveHealthSettings | undefined {
  const active = config?.active;
  if (!active) return undefined;
  return {
    check: { ...(active.path !== undefined ? { path: active.path } : {}), service: active.service ?? '' },
    intervalMs: active.intervalMs ?? 10_000,
    timeoutMs: active.timeoutMs ?? 2_000,
    unhealthyAfter: active.unhealthyAfter ?? 2,
    healthyAfter: active.healthyAfter ?? 1,
  };
}

export interface ActiveHealthOptions {
  pool: Pick<ReplicaPool, 'replicas' | 'stateOf' | 'setActiveHealth'>;
  settings: ActiveHealthSettings;
  /** The transport's check of one endpoint (`Transport.checkHealth`). */
  check: (endpoint: string, check: HealthCheck, signal: AbortSignal) => Promise<void>;
  logger?: Logger;
}

/**
 * Polls every replica's health check: at once, then every `intervalMs`, each check bounded by `timeoutMs`; a
 * replica whose check is still running is not checked again meanwhile. `unhealthyAfter` failures in a row take
 * it out of the pool's rotation, `healthyAfter` passes in a row bring it back. Counts live in the retained
 * replica state, so a reload carries on from them. Belongs to one generation: dispose stops it.
 */
export function startActiveHealth(options: ActiveHealthOptions): Disposable {
  const { pool, settings } = options;
  const running = new Set<string>();
  let stopped = false;
  const stop = new AbortController();

  async function checkOne(url: string): Promise<void> {
    if (running.has(url) || stopped) return;
    running.add(url);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException(`no answer within ${settings.timeoutMs} ms`, 'TimeoutError')), settings.timeoutMs);
    let healthy: boolean;
    try {
      await options.check(url, settings.check, AbortSignal.any([stop.signal, deadline.signal]));
      healthy = true;
    } catch (error) {
      options.logger?.debug({ endpoint: url, err: error }, 'health check failed');
      healthy = false;
    } finally {
      clearTimeout(timer);
      running.delete(url);
    }
    const state = pool.stateOf(url);
    if (stopped || !state) return;
    if (healthy) {
      state.activeFailuresInRow = 0;
      state.activePassesInRow++;
      if (!state.activeHealthy && state.activePassesInRow >= settings.healthyAfter) pool.setActiveHealth(url, true);
    } else {
      state.activePassesInRow = 0;
      state.activeFailuresInRow++;
      if (state.activeHealthy && state.activeFailuresInRow >= settings.unhealthyAfter) pool.setActiveHealth(url, false);
    }
  }

  const round = () => {
    for (const replica of pool.replicas) void checkOne(replica.url);
  };
  round();
  const interval = setInterval(round, settings.intervalMs);
  interval.unref();
  return {
    [Symbol.dispose]() {
      stopped = true;
      clearInterval(interval);
      stop.abort(new DOMException('health checks stopped', 'AbortError'));
    },
  };
}
