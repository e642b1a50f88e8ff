import type { CacheStore } from '../cache/store.js';
import type { GatewayConfig } from '../config/load.js';
import type { SourceConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Telemetry } from '../observability/telemetry.js';
import type { ReplicaPool } from './replicas.js';
import type { Stage, StreamStage } from './types.js';

/**
 * The built-in places in the pipeline, outermost first (see `BUILTIN_STAGES` in `create-source-pipeline.ts`).
 * Every one is built; `tracing` is only present in a source's pipeline when tracing is configured.
 */
export type BuiltinStageName = 'metrics' | 'tracing' | 'auth' | 'error-mapping' | 'fallback' | 'cache' | 'breaker' | 'backpressure' | 'retry' | 'timeout';

/** What a stage is built from: one source of one generation, and what the gateway shares with every stage. */
export interface StageContext {
  /** The whole configuration of the generation being built. */
  readonly config: GatewayConfig;
  /** The source this pipeline calls. */
  readonly source: SourceConfig;
  /** Bound to `{ source }`. */
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /**
   * The dashboard's history, the events hook (`telemetry.events.report(...)`: breaker state, replica health,
   * retries, ...) and tracing when configured. Shared by every generation. Always set by the gateway; optional
   * so a stage can be built and tested without it.
   */
  readonly telemetry?: Telemetry;
  /** The gateway's cache store (outlives generations). */
  readonly store: CacheStore;
  /**
   * The source's replicas (the pipeline's end), for a stage that must know whether another replica could take a
   * call now (hedging). Set by `createSourcePipeline`; optional so a stage can be built without it.
   */
  readonly replicas?: Pick<ReplicaPool, 'hasFreeReplica'>;
  /**
   * State that must survive a reload (a breaker's counts, a replica's health): the same object for the same
   * `key` of this stage and source in every generation that asks for it. A stage reads its settings from
   * `config` each generation and keeps only the state here. A key the next committed generation does not ask
   * for is dropped (a source removed, a breaker whose settings changed: key it by its settings); an object with
   * `Symbol.dispose` is disposed once it is dropped and no running generation holds it, or when the gateway
   * closes. An object made while a reload builds stays this generation's own until it is committed: a refused
   * reload disposes it.
   */
  retain<T>(key: string, create: () => T): T;
  /**
   * Runs `apply` when this generation goes live; never when the reload is refused. A change to a retained
   * object (new settings for slots shared with the generation serving now) belongs here, not in the build.
   */
  onCommit(apply: () => void): void;
}

/**
 * One stage of every source's pipeline, as the gateway builds it per source and generation. Built-in stages are
 * written this way too; a library user passes more through `createGateway(config, { stages })`.
 */
export interface PipelineStage {
  /** Unique among the stages; used for `retain` keys and in the order listing. */
  readonly name: string;
  /**
   * The built-in stage this one goes right outside of. Default `timeout`: inside cache, breaker and retry, so it
   * runs once per attempt that reaches the backend. Several stages before the same one keep the order given.
   */
  readonly before?: BuiltinStageName;
  /** The stage for unary calls (Query and Mutation fields), or undefined to leave this source without it. */
  call?(context: StageContext): Stage | undefined;
  /** The stage for streams (Subscription fields), or undefined to leave streams without it. */
  stream?(context: StageContext): StreamStage | undefined;
}
