import { readFileSync } from 'node:fs';
import { parse, type GraphQLSchema } from 'graphql';
import { createMemoryStore, type CacheStore } from '../cache/store.js';
import type { GatewayConfig } from '../config/load.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { createMetrics, type GatewayMetrics } from '../observability/metrics.js';
import { createTelemetry, type Telemetry } from '../observability/telemetry.js';
import { createRetainedState, createSourcePipeline, instrumentTransport, type PipelineStage, type RetainedState } from '../pipeline/index.js';
import { callerScopeKey, clientAskedNoCache } from '../request/caller.js';
import type { Transport } from '../sources/types.js';
import { buildGatewaySchema } from './build-schema.js';
import { buildFieldOwners, type FieldOwners } from './field-owners.js';
import { parseLinks, pruneLinks, type ParsedLinks } from './links.js';
import { loadSourcesDegraded, type LoadedSource, type MissingSource, type SchemaOrigin, type SourcesLoad } from './load-sources.js';
import type { SchemaSnapshots } from './schema-snapshots.js';
import { createSourceRuntime, type SourceRuntime } from './source-runtime.js';

/** Keys per call of a batched link when the target source sets no `maxBatchSize`. */
export const DEFAULT_MAX_BATCH_SIZE = 100;

/**
 * One loaded configuration: its sources with their transports and pipelines, and the schema over them.
 * A reload builds the next generation beside the current one and swaps only when it is complete.
 */
export interface Generation extends AsyncDisposable {
  readonly config: GatewayConfig;
  readonly schema: GraphQLSchema;
  readonly sources: ReadonlyMap<string, SourceRuntime>;
  readonly loaded: readonly LoadedSource[];
  /** Where each loaded source's schema came from: its spec, fetched from the backend, or a saved snapshot. */
  readonly origins: ReadonlyMap<string, SchemaOrigin>;
  /** Sources of the config left out because their schema could not be loaded (see `GenerationDeps.tolerateMissing`). */
  readonly missing: readonly MissingSource[];
  /** The links file as it was parsed when this generation was built (undefined without one). */
  readonly links: ParsedLinks | undefined;
  /** Every public field that calls a backend, with its operation: what the request-level checks read. */
  readonly owners: FieldOwners;
  /**
   * Makes this generation's changes to the state it shares with the others (retained breakers, replica health,
   * settings of shared slots, sources it removed) take effect: call it when it becomes current, never for one
   * that is refused. Building it changed nothing the serving generation uses.
   */
  commit(): void;
}

/** What a generation is built with beyond its config; everything here is shared by the gateway's generations. */
export interface GenerationDeps {
  /** Default: silent. */
  logger?: Logger;
  /** Default: a registry of its own. */
  metrics?: GatewayMetrics;
  /** The cache store; default: a memory store of `config.cache.maxEntries` (for `check`, tests). */
  store?: CacheStore;
  /** History, events and tracing shared by the generations; default: a new one without tracing. */
  telemetry?: Telemetry;
  /**
   * Stage state that outlives generations; default: a new one (nothing survives), committed at once. With a
   * shared one the caller commits the generation when it swaps it in.
   */
  retained?: RetainedState;
  /** Stages added to every source's pipeline (`createGateway({ stages })`). */
  stages?: readonly PipelineStage[];
  /** Replaces each source's own transport; tests use in-memory transports. Default: the kind's transport. */
  transportFor?: (source: LoadedSource) => Transport;
  /** Schema snapshots of sources whose schema is fetched (saved after each fetch, used when it fails). Default none. */
  snapshots?: SchemaSnapshots;
  /** Sources that may be left out when their schema can be neither fetched nor read from a snapshot. Default: none may. */
  tolerateMissing?: (source: string) => boolean;
}

/** Load phase only: converts the specs and parses the links. No transport is opened. */
async function composeOffline(config: GatewayConfig, deps: GenerationDeps): Promise<SourcesLoad & { links: ReturnType<typeof readLinks> }> {
  const load = await loadSourcesDegraded(config, { ...(deps.snapshots ? { snapshots: deps.snapshots } : {}), ...(deps.tolerateMissing ? { tolerateMissing: deps.tolerateMissing } : {}) });
  const links = readLinks(config);
  if (!links || load.missing.length === 0) return { ...load, links };
  // While a source is away, the links that need it (or a type only it defines) wait for it; the others apply.
  const names = new Set(load.loaded.map((s) => s.config.name));
  const types = new Set(load.loaded.flatMap((s) => parse(s.converted.typeDefs).definitions.flatMap((d) => ('name' in d && d.name ? [d.name.value] : []))));
  return { ...load, links: { file: links.file, parsed: pruneLinks(links.parsed, { source: (name) => names.has(name), type: (name) => types.has(name) }) } };
}

function readLinks(config: GatewayConfig) {
  if (config.links === undefined) return undefined;
  return { file: config.links, parsed: parseLinks(config.links, readFileSync(config.links, 'utf8')) };
}

export async function createGeneration(config: GatewayConfig, deps: GenerationDeps = {}): Promise<Generation> {
  const { loaded, links, origins, missing } = await composeOffline(config, deps);
  const logger = deps.logger ?? silentLogger;
  const metrics = deps.metrics ?? createMetrics();
  const store = deps.store ?? createMemoryStore(config.cache.maxEntries);
  const retained = (deps.retained ?? createRetainedState()).lease();
  const telemetry = deps.telemetry ?? createTelemetry({ metrics });
  const bypassCacheOf = config.cache.honorClientNoCache ? clientAskedNoCache : () => false;
  const sources = new Map<string, SourceRuntime>();
  for (const source of loaded) {
    // Instrumented at the transport: every attempt that really leaves for a backend is counted and traced there.
    const transport = instrumentTransport(deps.transportFor?.(source) ?? source.createTransport(), { source: source.config.name, metrics, telemetry });
    const pipeline = createSourcePipeline({
      context: { config, source: source.config, logger: logger.child({ source: source.config.name }), metrics, telemetry, store },
      retained,
      transport,
      ...(deps.stages ? { extraStages: deps.stages } : {}),
    });
    sources.set(
      source.config.name,
      createSourceRuntime({
        config: source.config,
        converted: source.converted,
        transport,
        pipeline,
        scopeKeyOf: callerScopeKey,
        bypassCacheOf,
        requestTimeoutMs: config.server.requestTimeoutMs,
      }),
    );
  }
  let schema: GraphQLSchema;
  let owners: FieldOwners;
  try {
    schema = buildGatewaySchema({ sources: [...sources.values()], links, defaultMaxBatchSize: DEFAULT_MAX_BATCH_SIZE });
    // Once, from what was loaded: a links file edited since is read by the next reload, never by this one.
    owners = buildFieldOwners(sources.values(), links?.parsed);
  } catch (error) {
    await Promise.all([...sources.values()].map((s) => s[Symbol.asyncDispose]()));
    retained.release();
    throw error;
  }
  const generation: Generation = {
    config,
    schema,
    sources,
    loaded,
    origins,
    missing,
    links: links?.parsed,
    owners,
    commit: () => retained.commit(),
    async [Symbol.asyncDispose]() {
      // Each source stops its health checks at once, before the lease lets go of the state they update.
      const closing = Promise.all([...sources.values()].map((s) => s[Symbol.asyncDispose]()));
      retained.release();
      await closing;
    },
  };
  if (!deps.retained) generation.commit();
  return generation;
}
