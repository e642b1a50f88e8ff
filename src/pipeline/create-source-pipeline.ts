import { replicasOf } from '../sources/endpoints.js';
import type { Transport } from '../sources/types.js';
import { activeHealthSettingsOf, startActiveHealth } from './active-health.js';
import { authStage } from './auth.js';
import { backpressureStage } from './backpressure.js';
import { breakerStage, retainedSourceCircuit } from './breaker.js';
import { cacheStage } from './cache.js';
import { circuitSettingsKey, circuitSettingsOf, type CircuitState } from './circuit.js';
import { errorMappingStage } from './error-mapping.js';
import { fallbackStage } from './fallback.js';
import { metricsStage } from './metrics.js';
import { createReplicaState, passiveHealthSettingsOf } from './replica-health.js';
import { createReplicaPool, type ReplicaStatus } from './replicas.js';
import type { RetainedLease } from './retained.js';
import { retryStage } from './retry.js';
import type { PipelineStage, StageContext } from './stage.js';
import { timeoutStage } from './timeout.js';
import { tracingStage } from './tracing.js';
import { composeStages, composeStreamStages, type Stage, type StreamStage, type StreamTerminal, type Terminal } from './types.js';

/**
 * The order of every backend call, outermost first. This list is the one place that decides it:
 *
 *   metrics        outermost, so it labels each call with what the client got: `ok`, `hit`, `stale`, `fallback`,
 *                  or the error code error mapping made (inside it, every failure would still be a TransportError);
 *   tracing        a span per call (only when telemetry.otlp is configured), also seeing the final code;
 *   auth           the caller may call this operation (FORBIDDEN / UNAUTHENTICATED otherwise): before the cache,
 *                  so no cached answer reaches a caller the backend would not have answered;
 *   error mapping  TransportErrors and bugs below become GraphQL errors with `extensions.code` and `.source`;
 *   fallback       the ladder's third rung: the operation's configured value when nothing below could answer;
 *   cache          a fresh entry answers without calling; stale-while-revalidate, stale-if-error and coalescing
 *                  of identical reads: it must see failures of every stage below to serve stale instead;
 *   breaker        the source's circuit breaker, inside the cache so an open breaker still lets a stale answer
 *                  through without waiting, outside retries so one call is one success or failure;
 *   backpressure   a slot of the source's concurrency limit for the whole call, or SOURCE_OVERLOADED at once;
 *   retry          retries and hedges, outside the timeout so each attempt gets its own deadline;
 *   timeout        one attempt's deadline (capped by the request's budget), passed down to transports;
 *   replicas       (the terminal) which replica (groups, routes, balance, health, its own breaker), then the
 *                  source's transport.
 *
 * The degradation ladder of a call is therefore: another replica (retry ▸ replicas) → the last good answer,
 * marked stale (cache) → the configured fallback (fallback) → null with the error code (error mapping).
 *
 * Streams (Subscription fields) go through the stages that have a `stream` part: metrics, error mapping, the
 * breaker and the replica choice. State that must survive a reload is kept through `StageContext.retain`: the
 * replicas' health and breakers, the source's breaker, the retry budget and the concurrency slots; a reload
 * changes it only when it commits (`StageContext.onCommit`). The cache store itself belongs to the gateway.
 */
export const BUILTIN_STAGES: readonly PipelineStage[] = [
  metricsStage,
  tracingStage,
  authStage,
  errorMappingStage,
  fallbackStage,
  cacheStage,
  breakerStage,
  backpressureStage,
  retryStage,
  timeoutStage,
];

/** The unary and stream entry points of one source's pipeline, and the stage names in order (for tests, admin). */
export interface SourcePipeline {
  readonly call: Terminal;
  readonly open: StreamTerminal;
  /** Names of the stages this source has, outermost first, `replicas` last. */
  readonly order: readonly string[];
  /** The source's breaker and replicas now (admin status). */
  status(): SourceResilienceStatus;
  /** Stops what runs on its own (active health checks); the generation calls it when it closes. */
  close(): void;
}

/** What the admin status shows of a source's resilience state. */
export interface SourceResilienceStatus {
  /** The source's own breaker, or null when it has none (`breaker.enabled: false`). */
  readonly circuit: CircuitState | null;
  readonly replicas: readonly ReplicaStatus[];
}

export interface SourcePipelineOptions {
  /** What the stages are built from; `retain` and `onCommit` are bound per stage here. */
  context: Omit<StageContext, 'retain' | 'onCommit'>;
  /** The generation's lease on the state its sources share with the other generations. */
  retained: RetainedLease;
  transport: Transport;
  /** More stages (a library user's), each placed right outside the built-in stage it names. */
  extraStages?: readonly PipelineStage[];
}

/** Inserts the extra stages before the built-in ones they name (default: before `timeout`). */
export function orderStages(extra: readonly PipelineStage[] = []): PipelineStage[] {
  const builtin = new Set(BUILTIN_STAGES.map((s) => s.name));
  const names = new Set<string>();
  for (const stage of extra) {
    if (builtin.has(stage.name) || names.has(stage.name)) throw new Error(`pipeline stage "${stage.name}" is defined twice`);
    names.add(stage.name);
  }
  return BUILTIN_STAGES.flatMap((stage) => [...extra.filter((e) => (e.before ?? 'timeout') === stage.name), stage]);
}

/**
 * Builds one source's pipeline for one generation. Building changes nothing the generation serving now uses:
 * state shared with it is only read, and every change (settings, breakers replaced, gauges, health checks
 * started) waits for the lease's commit.
 */
export function createSourcePipeline(options: SourcePipelineOptions): SourcePipeline {
  const { context, retained } = options;
  const source = context.source.name;
  const onCommit = (apply: () => void) => retained.onCommit(apply);
  const calls: Stage[] = [];
  const streams: StreamStage[] = [];
  const order: string[] = [];
  // Asked at call time, once the pool below exists: stages are built first and the pool ends their chain.
  const freeReplicas: StageContext['replicas'] = { hasFreeReplica: (call, tried) => replicas.hasFreeReplica(call, tried) };
  for (const definition of orderStages(options.extraStages)) {
    const stageContext: StageContext = { ...context, replicas: freeReplicas, retain: (key, create) => retained.get(source, definition.name, key, create), onCommit };
    const call = definition.call?.(stageContext);
    const stream = definition.stream?.(stageContext);
    if (call || stream) order.push(definition.name);
    if (call) calls.push(call);
    if (stream) streams.push(stream);
  }
  const circuit = circuitSettingsOf(context.source.breaker);
  const metrics = context.metrics.resilience;
  const replicas = createReplicaPool({
    source,
    replicas: replicasOf(context.source),
    transport: options.transport,
    ...(context.source.balance ? { balance: context.source.balance } : {}),
    ...(context.source.groups ? { groups: context.source.groups } : {}),
    ...(context.source.route ? { route: context.source.route } : {}),
    health: passiveHealthSettingsOf(context.source.health),
    ...(circuit ? { circuit } : {}),
    states: {
      // Per URL, so a reload that removes a replica drops its state, its breakers and its gauges.
      of: (url) =>
        retained.get(source, 'replicas', `state ${url}`, () =>
          Object.assign(createReplicaState(url, Date.now()), {
            [Symbol.dispose]() {
              metrics.replicaUp.remove({ source, endpoint: url });
              metrics.circuitState.remove({ source, endpoint: url });
            },
          }),
        ),
      circuit: (url, settings, create) => retained.get(source, 'replicas', `circuit ${url} ${circuitSettingsKey(settings)}`, create),
    },
    onCommit,
    metrics,
    ...(context.telemetry ? { events: context.telemetry.events } : {}),
    logger: context.logger,
  });
  const sourceCircuit = circuit
    ? retainedSourceCircuit({ ...context, retain: (key, create) => retained.get(source, 'breaker', key, create), onCommit }, circuit)
    : undefined;
  if (!sourceCircuit) onCommit(() => metrics.circuitState.remove({ source, endpoint: '*' }));
  const active = activeHealthSettingsOf(context.source.health);
  const checkHealth = options.transport.checkHealth?.bind(options.transport);
  let checker: Disposable | undefined;
  let closed = false;
  // Health checks change the shared replica state: they start when the generation goes live, and a generation
  // without them leaves no replica out on the word of checks that stopped.
  onCommit(() => {
    if (closed) return;
    if (active && checkHealth) checker = startActiveHealth({ pool: replicas, settings: active, check: checkHealth, logger: context.logger });
    else replicas.resetActiveHealth();
  });
  return {
    call: composeStages(calls, replicas.call),
    open: composeStreamStages(streams, replicas.open),
    order: [...order, 'replicas'],
    status: () => ({ circuit: sourceCircuit?.state ?? null, replicas: replicas.status() }),
    close: () => {
      closed = true;
      checker?.[Symbol.dispose]();
    },
  };
}
