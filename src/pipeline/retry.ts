import type { GatewayEvents } from '../observability/events.js';
import type { ResilienceMetrics } from '../observability/resilience-metrics.js';
import { replicasOf } from '../sources/endpoints.js';
import type { RetryConfig } from '../sources/resilience-config.js';
import { TransportError } from '../sources/types.js';
import { isRetryable } from './failures.js';
import { createRetryBudget, type RetryBudget } from './retry-budget.js';
import type { PipelineStage } from './stage.js';
import type { SourceCall, Stage } from './types.js';

/** One source's retry settings with defaults applied (see `retrySchema`). */
export interface RetrySettings {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
  readonly mutations: boolean;
  readonly hedgeAfterMs: number | undefined;
}

export interface RetryStageOptions {
  settings: RetrySettings;
  /** Shared by every call of the source (and retained across reloads). */
  budget: RetryBudget;
  /** Replicas of the source: a timed-out call is retried only while one of them has not been tried. */
  replicaCount: number;
  /**
   * Whether a replica this call has not tried takes traffic now: only then is a hedge sent (to the same slow
   * replica, or to one ejected, it would only add load). Default: while fewer than `replicaCount` were tried.
   */
  hasFreeReplica?: (call: SourceCall, tried: ReadonlySet<string>) => boolean;
  /** Safe to repeat: reads, REST PUT/DELETE, operations marked `idempotent`. */
  isIdempotent: (call: SourceCall) => boolean;
  metrics?: Pick<ResilienceMetrics, 'retries'>;
  /** The dashboard's events hook: one `retry` event per retry. Default none. */
  events?: Pick<GatewayEvents, 'report'>;
  /** Injected so tests pin the jitter. Default Math.random. */
  random?: () => number;
  /** Default Date.now (fake timers move it). */
  now?: () => number;
}

/**
 * Retries and hedging for one source, outside the timeout stage so every attempt has its own deadline:
 *  - only calls safe to repeat, unless `mutations: true`; a call that was never sent (connection refused) is
 *    always safe;
 *  - only after a backend failure (unavailable, timeout, 5xx) or a 429; a timeout only when a replica this call
 *    has not tried is left (retrying a frozen backend just waits twice);
 *  - on another replica when there is one (`call.tried` steers the replica pool);
 *  - after `random() × min(maxDelayMs, baseDelayMs × 2^n)` (full jitter), or the backend's `Retry-After` when it
 *    is longer and at most `maxRetryAfterMs` (longer: no retry at all);
 *  - only while the request's budget (`requestDeadline`) has room for the wait, and the retry budget allows.
 * Hedging (`hedgeAfterMs`, reads only, two or more replicas): a second attempt when the first has not answered
 * in time and a replica this call has not tried takes traffic; the first answer wins and the other attempt is
 * aborted.
 */
export function createRetryStage(options: RetryStageOptions): Stage {
  const { settings, budget, metrics } = options;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const hasFreeReplica = options.hasFreeReplica ?? ((_call: SourceCall, tried: ReadonlySet<string>) => tried.size < options.replicaCount);

  function mayRepeat(call: SourceCall, error: unknown): boolean {
    return options.isIdempotent(call) || settings.mutations || (error instanceof TransportError && error.notSent);
  }

  /** Milliseconds to wait before retry number `retry` (0-based), or undefined when this error is not retried. */
  function delayBefore(call: SourceCall, error: unknown, retry: number, tried: ReadonlySet<string>): number | undefined {
    if (retry >= settings.attempts || call.signal.aborted || !isRetryable(error) || !mayRepeat(call, error)) return undefined;
    const failure = error as TransportError;
    if (failure.failure === 'timeout' && tried.size >= options.replicaCount) return undefined;
    let delay = random() * Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** retry);
    if (failure.retryAfterMs !== undefined) {
      if (failure.retryAfterMs > settings.maxRetryAfterMs) return undefined;
      delay = Math.max(delay, failure.retryAfterMs);
    }
    if (call.requestDeadline !== undefined && now() + delay >= call.requestDeadline) return undefined;
    return delay;
  }

  function hedged(call: SourceCall, next: (call: SourceCall) => Promise<unknown>, hedgeAfterMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const attempts: AbortController[] = [];
      let running = 0;
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (settle: () => void) => {
        settled = true;
        clearTimeout(timer);
        for (const attempt of attempts) attempt.abort(new DOMException('another attempt answered first', 'AbortError'));
        settle();
      };
      const launch = () => {
        const controller = new AbortController();
        attempts.push(controller);
        running++;
        next({ ...call, signal: AbortSignal.any([call.signal, controller.signal]) }).then(
          (value) => {
            if (!settled) finish(() => resolve(value));
          },
          (error: unknown) => {
            running--;
            // The last attempt to fail settles the call; a hedge not launched yet is not waited for.
            if (!settled && running === 0) finish(() => reject(error));
          },
        );
      };
      launch();
      timer = setTimeout(function hedge() {
        // The client gone, or no other replica free (all tried, ejected, failing checks): no hedge, nothing drawn.
        if (settled || call.signal.aborted || !hasFreeReplica(call, call.tried ?? new Set())) return;
        if (!budget.tryWithdraw()) {
          metrics?.retries.inc({ source: call.source, kind: 'budget_exhausted' });
          return;
        }
        metrics?.retries.inc({ source: call.source, kind: 'hedge' });
        launch();
      }, hedgeAfterMs);
    });
  }

  return async function retryStage(call, next) {
    budget.deposit();
    const tried = new Set<string>(call.tried);
    const tracked: SourceCall = { ...call, tried };
    const hedgeAfterMs = settings.hedgeAfterMs !== undefined && call.operation.readOnly && options.replicaCount > 1 ? settings.hedgeAfterMs : undefined;
    for (let retry = 0; ; retry++) {
      try {
        return await (hedgeAfterMs !== undefined ? hedged(tracked, next, hedgeAfterMs) : next(tracked));
      } catch (error) {
        const delay = delayBefore(call, error, retry, tried);
        if (delay === undefined) throw error;
        if (!budget.tryWithdraw()) {
          metrics?.retries.inc({ source: call.source, kind: 'budget_exhausted' });
          throw error;
        }
        metrics?.retries.inc({ source: call.source, kind: 'retry' });
        options.events?.report({ type: 'retry', source: call.source, operation: call.operation.operationId, attempt: retry + 2 });
        if (delay > 0) await sleep(delay, call.signal).catch(() => Promise.reject(error));
      }
    }
  };
}

/**
 * A plain setTimeout (fake timers drive it), cut short when the client goes away. It listens on a signal that
 * follows the client's (`AbortSignal.any`) rather than on the client's own: many calls of one request waiting at
 * once would otherwise pile listeners onto it (see the timeout stage).
 */
function sleep(ms: number, clientSignal: AbortSignal): Promise<void> {
  const signal = AbortSignal.any([clientSignal]);
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function retrySettingsOf(config: RetryConfig | undefined): RetrySettings {
  return {
    attempts: config?.attempts ?? 2,
    baseDelayMs: config?.baseDelayMs ?? 25,
    maxDelayMs: config?.maxDelayMs ?? 1_000,
    maxRetryAfterMs: config?.maxRetryAfterMs ?? 5_000,
    mutations: config?.mutations ?? false,
    hedgeAfterMs: config?.hedgeAfterMs,
  };
}

/** `retry:` of the source; `attempts: 0` without hedging leaves the source without this stage. */
export const retryStage: PipelineStage = {
  name: 'retry',
  call(context) {
    const { source } = context;
    const settings = retrySettingsOf(source.retry);
    if (settings.attempts === 0 && settings.hedgeAfterMs === undefined) return undefined;
    const budget = context.retain('budget', () => createRetryBudget());
    const budgetSettings = { ...(source.retry?.budgetPercent !== undefined ? { percent: source.retry.budgetPercent } : {}), ...(source.retry?.minPerSecond !== undefined ? { minPerSecond: source.retry.minPerSecond } : {}) };
    // Shared with the generation serving now: the new percentages apply once this one goes live.
    context.onCommit(() => budget.settings(budgetSettings));
    return createRetryStage({
      settings,
      budget,
      replicaCount: replicasOf(source).length,
      ...(context.replicas ? { hasFreeReplica: context.replicas.hasFreeReplica } : {}),
      isIdempotent: (call) => call.operation.readOnly || (source.operations?.[call.operation.fieldName]?.idempotent ?? call.operation.idempotent ?? false),
      metrics: context.metrics.resilience,
      ...(context.telemetry ? { events: context.telemetry.events } : {}),
    });
  },
};
