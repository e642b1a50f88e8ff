import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { collectStatus, type StatusView } from '../admin/status.js';
import { useAdmin } from '../admin/use-admin.js';
import { purgeCache } from '../cache/purge.js';
import { createCacheStore, type CacheStore } from '../cache/store.js';
import type { GatewayConfig } from '../config/load.js';
import { createGeneration, type Generation, type GenerationDeps } from '../gateway/generation.js';
import type { LoadedSource } from '../gateway/load-sources.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { createMetrics, type GatewayMetrics } from '../observability/metrics.js';
import { createRetainedState, type PipelineStage } from '../pipeline/index.js';
import { useQueryLimits } from '../security/use-query-limits.js';
import { corsOptionsFor } from '../security/cors.js';
import { useRequestGuards } from '../security/use-request-guards.js';
import { readTrustedDocuments, useAutomaticPersistedQueries, useTrustedDocuments } from '../security/use-persisted-documents.js';
import { sourceKindOf } from '../sources/registry.js';
import type { Transport } from '../sources/types.js';
import { createAuditStage } from '../pipeline/audit.js';
import { createAuditLog } from '../security/audit-log.js';
import { createAccessLayer } from './access-plugins.js';
import { createGenerationSwap, DEFAULT_DRAIN_MS } from './generation-swap.js';
import { settingsReadAtStart } from './settings-read-at-start.js';
import { useGenerationHolds } from './use-generation-holds.js';
import { useHealth } from './use-health.js';
import { useMetricsEndpoint } from './use-metrics-endpoint.js';
import { useRequestBodyLimit } from './use-request-body-limit.js';
import { useStaleMarker } from './use-stale-marker.js';

export interface GatewayOptions {
  /** Default: a silent logger (library use); the CLI passes a pino logger. */
  logger?: Logger;
  /** The query GraphiQL opens with on a first visit. Default: GraphiQL's own welcome text; the demo passes its seed query. */
  graphiqlDefaultQuery?: string;
  /** yoga/envelop plugins, run after the built-in ones in the order given (as yoga's own `plugins`). Default none. */
  plugins?: readonly Plugin[];
  /** Stages added to every source's pipeline, each placed before the built-in stage it names. Default none. */
  stages?: readonly PipelineStage[];
  /**
   * Makes the transport of each source instead of its kind's (HTTP, gRPC): tests drive `gateway.fetch()` over
   * in-memory transports this way. Default: the kind's own transport.
   */
  transportFor?: (source: LoadedSource) => Transport;
  /** Milliseconds a replaced generation waits for its in-flight requests before it is closed anyway. Default 30000. */
  drainMs?: number;
  /** The clock of abuse detection (tests pass a fake one). Default Date.now. */
  now?: () => number;
}

export interface Gateway extends AsyncDisposable {
  /** The generation serving new requests. */
  readonly current: Generation;
  readonly yoga: YogaServerInstance<Record<string, never>, Record<string, never>>;
  readonly metrics: GatewayMetrics;
  /** The cache store shared by all generations. */
  readonly store: CacheStore;
  /** Fetch API entry point: the whole HTTP surface without a socket (tests, serverless). */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /**
   * Builds a generation from `config` beside the current one and swaps it in only if it loads completely;
   * the old one is disposed once its in-flight requests are done (or after `drainMs`). A bad config throws and
   * changes nothing.
   */
  reload(config: GatewayConfig): Promise<void>;
}

/** The composition root: the shared parts (store, metrics, stage state), the first generation and the plugins. */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? silentLogger;
  const metrics = createMetrics();
  // The store and the stage state outlive generations: a reload keeps the cache (and so the stale answers) it
  // had, and the replicas' health.
  const store = await createCacheStore({
    store: config.cache.store,
    maxEntries: config.cache.maxEntries,
    logger,
    onError: () => metrics.cacheEvents.inc({ source: '*', event: 'store_error' }),
  });
  const retained = createRetainedState();
  // One audit log for every generation (its destination is read at start); sources opt in per generation.
  const audit = createAuditLog(config.audit, (err) => logger.warn({ err }, 'writing the audit log failed'));
  const deps: GenerationDeps = {
    logger,
    metrics,
    store,
    retained,
    stages: [createAuditStage(audit), ...(options.stages ?? [])],
    ...(options.transportFor ? { transportFor: options.transportFor } : {}),
  };
  let first: Generation;
  try {
    first = await createGeneration(config, deps);
  } catch (error) {
    await store[Symbol.asyncDispose]();
    throw error;
  }
  const generations = createGenerationSwap(first, {
    drainMs: options.drainMs ?? DEFAULT_DRAIN_MS,
    onDisposeError: (error) => logger.warn({ err: error }, 'closing a replaced generation failed'),
  });
  const startedAt = new Date();
  const statusView = (): StatusView => {
    const current = generations.current;
    return {
      startedAt,
      loadedAt: generations.loadedAt,
      cacheStore: store.kind,
      sources: [...current.sources.values()].map((source) => ({
        name: source.name,
        kind: source.config.kind,
        endpoints: source.config.endpoints,
        operations: sourceKindOf(source.config).describe(source.converted).fields.length,
        stages: source.stages,
      })),
    };
  };

  // The plugins in the order they run, each readable on its own; a library user's come last.
  const configOf = (request: Request) => generations.pin(request).config;
  const access = await createAccessLayer({ generations, logger, metrics, rateLimitStore: config.rateLimitStore, ...(options.now ? { now: options.now } : {}) });
  const plugins: Plugin[] = [
    useRequestGuards({
      settings: (request) => {
        const { server, limits } = configOf(request);
        return { csrfPrevention: server.csrfPrevention, introspection: server.introspection, maxVariablesBytes: limits.maxVariablesBytes, maxIntrospectionDepth: limits.maxIntrospectionDepth };
      },
    }), // CSRF, UTF-8 and JSON of every parameter, variables size, introspection off or bounded
    useRequestBodyLimit(config.limits.maxBodyBytes), // 413 over limits.maxBodyBytes
    useQueryLimits(config.limits), // depth, aliases, tokens, cost: QUERY_TOO_COMPLEX
    ...(config.server.trustedDocuments !== undefined ? [useTrustedDocuments(readTrustedDocuments(config.server.trustedDocuments))] : []), // only listed documents
    ...(config.server.persistedQueries ? [useAutomaticPersistedQueries()] : []), // APQ: a known hash stands for its document
    ...access.plugins, // caller, authentication (401), abuse throttling and rate limits (429), query cost
    useHealth({ isReady: () => true }), // /healthz, /readyz
    useMetricsEndpoint(metrics, () => generations.current.config.admin.metricsToken), // /metrics (admin.metricsToken)
    useGenerationHolds(generations), // a replaced generation stays open while its requests run
    useStaleMarker(), // extensions.stale + Cache-Status
    useAdmin({
      token: () => generations.current.config.admin.token,
      status: () => collectStatus(statusView(), metrics),
      purge: (source, operation, args) => purgeCache(store, { source, operation, args }, generations.current.sources.get(source)?.converted.operations.values() ?? []),
      sourceNames: () => [...generations.current.sources.keys()],
      throttled: () => access.throttled(),
    }), // /admin, /admin/api/*
    ...(options.plugins ?? []),
  ];

  const yoga = createYoga<Record<string, never>>({
    // Each request keeps the generation it started on, so a reload never changes a schema under a request.
    schema: ({ request }) => generations.pin(request).schema,
    graphqlEndpoint: '/graphql',
    // Read per request so a reload can switch it (server.graphiql).
    graphiql: () =>
      generations.current.config.server.graphiql && { title: 'Interchange', ...(options.graphiqlDefaultQuery !== undefined ? { defaultQuery: options.graphiqlDefaultQuery } : {}) },
    // The GraphiQL bundle is ~20 MB of RSS once loaded: only a process that serves the page pays for it.
    renderGraphiQL: async (renderOptions) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(renderOptions),
    landingPage: false,
    logging: false,
    maxRequestBodySize: false, // see useRequestBodyLimit
    // Read per request so a reload can change it; yoga's default would echo any Origin with credentials.
    cors: (request) => corsOptionsFor(generations.current.config.server.cors, request),
    batching: config.limits.maxBatch > 0 ? { limit: config.limits.maxBatch } : false,
    plugins,
  });

  return {
    get current() {
      return generations.current;
    },
    yoga: yoga as never,
    metrics,
    store,
    fetch: async (input, init) => yoga.fetch(input as never, init ?? {}),
    async reload(next) {
      const generation = await createGeneration(next, deps);
      const needRestart = settingsReadAtStart(config, next);
      if (needRestart.length > 0) logger.warn({ keys: needRestart }, `reloaded, but ${needRestart.join(', ')} only change on restart`);
      generations.swap(generation);
      retained.keepOnly(generation.sources.keys());
      logger.info({ sources: [...generation.sources.keys()] }, 'configuration reloaded');
    },
    async [Symbol.asyncDispose]() {
      await access[Symbol.asyncDispose]();
      await generations[Symbol.asyncDispose]();
      retained[Symbol.dispose]();
      await store[Symbol.asyncDispose]();
      await audit[Symbol.asyncDispose]();
    },
  };
}
