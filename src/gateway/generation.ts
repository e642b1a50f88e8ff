import { readFileSync } from 'node:fs';
import type { GraphQLSchema } from 'graphql';
import type { GatewayConfig } from '../config/load.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { toSourceError } from '../pipeline/error-mapping.js';
import { createSourcePipeline, type Stage } from '../pipeline/index.js';
import type { SourceConfig } from '../config/schema.js';
import { buildGatewaySchema } from './build-schema.js';
import { parseLinks } from './links.js';
import { loadSources, type LoadedSource } from './load-sources.js';
import type { RequestState } from './request-state.js';
import { createSourceRuntime, type SourceRuntime } from './source-runtime.js';

/**
 * One loaded configuration: its sources with their transports and pipelines, and the schema over them.
 * A reload builds the next generation beside the current one and swaps only when it is complete.
 */
/** Keys per call of a batched link when the target source sets no `maxBatchSize`. */
export const DEFAULT_MAX_BATCH_SIZE = 100;

export interface Generation extends AsyncDisposable {
  readonly config: GatewayConfig;
  readonly schema: GraphQLSchema;
  readonly sources: ReadonlyMap<string, SourceRuntime>;
  readonly loaded: readonly LoadedSource[];
}

export interface GenerationDeps {
  logger: Logger;
  metrics: GatewayMetrics;
  /** Stages to put in each source's pipeline between metrics and timeout (cache, stale, breaker, retry). */
  resilienceFor?: (source: SourceConfig) => readonly Stage[];
  scopeKeyOf?: (state: RequestState) => string;
  bypassCacheOf?: (state: RequestState) => boolean;
}

/** Load phase only: converts the specs and parses the links. No transport is opened. */
async function composeOffline(config: GatewayConfig): Promise<{ loaded: LoadedSource[]; links: ReturnType<typeof readLinks> }> {
  return { loaded: await loadSources(config), links: readLinks(config) };
}

function readLinks(config: GatewayConfig) {
  if (config.links === undefined) return undefined;
  return { file: config.links, parsed: parseLinks(config.links, readFileSync(config.links, 'utf8')) };
}

export async function createGeneration(config: GatewayConfig, deps: GenerationDeps): Promise<Generation> {
  const { loaded, links } = await composeOffline(config);
  const sources = new Map<string, SourceRuntime>();
  for (const source of loaded) {
    const transport = source.createTransport();
    sources.set(
      source.config.name,
      createSourceRuntime({
        config: source.config,
        converted: source.converted,
        transport,
        pipeline: createSourcePipeline({ source: source.config, transport, logger: deps.logger, metrics: deps.metrics, resilience: deps.resilienceFor?.(source.config) ?? [] }),
        scopeKeyOf: deps.scopeKeyOf ?? (() => ''),
        bypassCacheOf: deps.bypassCacheOf ?? (() => false),
        mapError: (error, operation) => toSourceError(error, source.config.name, operation.operationId, deps.logger),
      }),
    );
  }
  let schema: GraphQLSchema;
  try {
    schema = buildGatewaySchema({ sources: [...sources.values()], links, defaultMaxBatchSize: DEFAULT_MAX_BATCH_SIZE });
  } catch (error) {
    await Promise.all([...sources.values()].map((s) => s[Symbol.asyncDispose]()));
    throw error;
  }
  return {
    config,
    schema,
    sources,
    loaded,
    async [Symbol.asyncDispose]() {
      await Promise.all([...sources.values()].map((s) => s[Symbol.asyncDispose]()));
    },
  };
}
