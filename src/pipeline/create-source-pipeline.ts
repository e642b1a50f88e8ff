import type { Transport } from '../sources/types.js';
import { authStage } from './auth.js';
import { cacheStage } from './cache.js';
import { errorMappingStage } from './error-mapping.js';
import { metricsStage } from './metrics.js';
import { createReplicaPool } from './replicas.js';
import type { RetainedState } from './retained.js';
import type { BuiltinStageName, PipelineStage, StageContext } from './stage.js';
import { timeoutStage } from './timeout.js';
import { tracingStage } from './tracing.js';
import { composeStages, composeStreamStages, type Stage, type StreamStage, type StreamTerminal, type Terminal } from './types.js';

/** A slot: a named place in the order whose stage has not been built yet. */
const slot = (name: BuiltinStageName): PipelineStage => ({ name });

/**
 * The order of every backend call, outermost first. This list is the one place that decides it:
 *
 *   metrics        outermost, so it labels each call with what the client got: `ok`, `hit`, `stale`, or the
 *                  error code error mapping made (inside it, every failure would still be a TransportError);
 *   tracing        a span per call (only when telemetry.otlp is configured), also seeing the final code;
 *   auth           the caller may call this operation (FORBIDDEN / UNAUTHENTICATED otherwise): before the cache,
 *                  so no cached answer reaches a caller the backend would not have answered;
 *   error mapping  TransportErrors and bugs below become GraphQL errors with `extensions.code` and `.source`;
 *   cache          a fresh entry answers without calling; stale-while-revalidate, stale-if-error and coalescing
 *                  of identical reads: it must see failures of every stage below to serve stale instead;
 *   breaker        (slot) inside the cache, so an open breaker still lets a stale answer through;
 *   retry          (slot) outside the timeout, so each attempt gets its own deadline;
 *   timeout        one attempt's deadline, passed down to transports that carry it (gRPC);
 *   replicas       (the terminal) which endpoint, failover to the next; then the source's transport.
 *
 * Streams (Subscription fields) go through the stages that have a `stream` part: metrics, error mapping and
 * the replica choice. State that must survive a reload is kept through `StageContext.retain`: the replicas'
 * health here, a breaker's state when it lands. The cache store itself belongs to the gateway.
 */
export const BUILTIN_STAGES: readonly PipelineStage[] = [
  metricsStage,
  tracingStage,
  authStage,
  errorMappingStage,
  cacheStage,
  slot('breaker'),
  slot('retry'),
  timeoutStage,
];

/** The unary and stream entry points of one source's pipeline, and the stage names in order (for tests, admin). */
export interface SourcePipeline {
  readonly call: Terminal;
  readonly open: StreamTerminal;
  /** Names of the stages this source has, outermost first, `replicas` last. */
  readonly order: readonly string[];
}

export interface SourcePipelineOptions {
  /** What the stages are built from; `retain` is bound per stage here. */
  context: Omit<StageContext, 'retain'>;
  retained: RetainedState;
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

/** Builds one source's pipeline for one generation. */
export function createSourcePipeline(options: SourcePipelineOptions): SourcePipeline {
  const { context, retained } = options;
  const source = context.source.name;
  const calls: Stage[] = [];
  const streams: StreamStage[] = [];
  const order: string[] = [];
  for (const definition of orderStages(options.extraStages)) {
    const stageContext: StageContext = { ...context, retain: (key, create) => retained.get(source, definition.name, key, create) };
    const call = definition.call?.(stageContext);
    const stream = definition.stream?.(stageContext);
    if (call) calls.push(call);
    if (stream) streams.push(stream);
    if (call || stream) order.push(definition.name);
  }
  const replicas = createReplicaPool({
    endpoints: context.source.endpoints,
    transport: options.transport,
    downUntil: retained.get(source, 'replicas', 'down-until', () => new Map<string, number>()),
  });
  return { call: composeStages(calls, replicas.call), open: composeStreamStages(streams, replicas.open), order: [...order, 'replicas'] };
}
