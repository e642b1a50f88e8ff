import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { GatewayConfig } from '../config/load.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { createMetrics, type GatewayMetrics } from '../observability/metrics.js';
import { collectStatus } from '../admin/status.js';
import { useAdmin } from '../admin/use-admin.js';
import { useQueryLimits } from '../security/use-query-limits.js';
import { useRequestBodyLimit } from '../server/use-request-body-limit.js';
import { useHealth } from '../server/use-health.js';
import { useMetricsEndpoint } from '../server/use-metrics-endpoint.js';
import { useStaleMarker } from '../server/use-stale-marker.js';
import { argsDigest } from '../cache/keys.js';
import { createCacheStore, type CacheStore } from '../cache/store.js';
import { clientAskedNoCache, createSourceCacheStage, requestScopeKey } from './cache-wiring.js';
import { createGeneration, type Generation, type GenerationDeps } from './generation.js';

export interface GatewayOptions {
  /** Default: a silent logger (library use); the CLI passes a pino logger. */
  logger?: Logger;
  /** The query GraphiQL opens with on a first visit. Default: GraphiQL's own welcome text; the demo passes its seed query. */
  graphiqlDefaultQuery?: string;
}

export interface Gateway extends AsyncDisposable {
  /** The generation serving requests now. */
  readonly current: Generation;
  readonly yoga: YogaServerInstance<Record<string, never>, Record<string, never>>;
  readonly metrics: GatewayMetrics;
  /** The cache store shared by all generations. */
  readonly store: CacheStore;
  /** Fetch API entry point: the whole HTTP surface without a socket (tests, serverless). */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /**
   * Builds a generation from `config` beside the current one and swaps it in only if it loads completely;
   * the old one is disposed once in-flight requests had a chance to finish. A bad config throws and changes nothing.
   */
  reload(config: GatewayConfig): Promise<void>;
}

/** Requests that started on an old generation get this long to finish before its pools close. */
const DRAIN_MS = 30_000;

export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? silentLogger;
  const metrics = createMetrics();
  // The store outlives generations: a reload keeps the cache (and so the stale answers) it had.
  const store = await createCacheStore({
    store: config.cache.store,
    maxEntries: config.cache.maxEntries,
    logger,
    onError: () => metrics.cacheEvents.inc({ source: '*', event: 'store_error' }),
  });
  const depsFor = (cfg: GatewayConfig): GenerationDeps => ({
    logger,
    metrics,
    resilienceFor: (source) => [createSourceCacheStage(cfg, source, store, { logger, metrics })],
    scopeKeyOf: requestScopeKey,
    bypassCacheOf: clientAskedNoCache(cfg),
  });
  let current: Generation;
  try {
    current = await createGeneration(config, depsFor(config));
  } catch (error) {
    await store[Symbol.asyncDispose]();
    throw error;
  }
  const draining = new Set<NodeJS.Timeout>();
  const startedAt = new Date();
  let loadedAt = startedAt;
  const retired = new Set<Generation>();

  // The composition root: the plugins in the order they run, each readable on its own.
  const yoga = createYoga<Record<string, never>>({
    schema: () => current.schema,
    graphqlEndpoint: '/graphql',
    // Read per request so a reload can switch it (server.graphiql).
    graphiql: () =>
      current.config.server.graphiql && { title: 'Interchange', ...(options.graphiqlDefaultQuery !== undefined ? { defaultQuery: options.graphiqlDefaultQuery } : {}) },
    // The GraphiQL bundle is ~20 MB of RSS once loaded: only a process that serves the page pays for it.
    renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    landingPage: false,
    logging: false,
    maxRequestBodySize: false, // see useRequestBodyLimit
    plugins: [
      useRequestBodyLimit(), // 413 over 1 MB
      useQueryLimits(config.limits), // depth, aliases, tokens, cost: QUERY_TOO_COMPLEX
      useHealth({ isReady: () => true }), // /healthz, /readyz
      useMetricsEndpoint(metrics), // /metrics
      useStaleMarker(), // extensions.stale + Cache-Status
      useAdmin({
        token: () => current.config.admin.token,
        status: () => collectStatus(current, loadedAt, metrics, startedAt),
        purge: (source, operation, args) => purgeCache(store, current, source, operation, args),
        sourceNames: () => [...current.sources.keys()],
      }), // /admin, /admin/api/*
    ],
  });

  return {
    get current() {
      return current;
    },
    yoga: yoga as never,
    metrics,
    store,
    fetch: async (input, init) => yoga.fetch(input as never, init ?? {}),
    async reload(next) {
      const generation = await createGeneration(next, depsFor(next));
      const needRestart = settingsReadAtStart(config, next);
      if (needRestart.length > 0) logger.warn({ keys: needRestart }, `reloaded, but ${needRestart.join(', ')} only change on restart`);
      const previous = current;
      current = generation;
      loadedAt = new Date();
      retired.add(previous);
      const timer = setTimeout(() => {
        draining.delete(timer);
        retired.delete(previous);
        void previous[Symbol.asyncDispose]();
      }, DRAIN_MS);
      timer.unref();
      draining.add(timer);
      logger.info({ sources: [...generation.sources.keys()] }, 'configuration reloaded');
    },
    async [Symbol.asyncDispose]() {
      for (const timer of draining) clearTimeout(timer);
      await Promise.all([current, ...retired].map((g) => g[Symbol.asyncDispose]()));
      await store[Symbol.asyncDispose]();
    },
  };
}

/** Config keys whose new values a reload cannot apply (they shaped the server, the store or the plugins). */
function settingsReadAtStart(started: GatewayConfig, next: GatewayConfig): string[] {
  const changed: string[] = [];
  if (started.server.port !== next.server.port || started.server.host !== next.server.host) changed.push('server.port/host');
  if (started.cache.store !== next.cache.store || started.cache.maxEntries !== next.cache.maxEntries) changed.push('cache.store/maxEntries');
  if (JSON.stringify(started.limits) !== JSON.stringify(next.limits)) changed.push('limits');
  return changed;
}

/** The admin purge: a source, one operation (by field name or operationId), or one call of it for every caller. */
function purgeCache(store: CacheStore, generation: Generation, source: string, operation?: string, args?: Record<string, unknown>): Promise<number | undefined> {
  if (operation === undefined) return store.purge(`${source}:`);
  const spec = [...(generation.sources.get(source)?.converted.operations.values() ?? [])].find((op) => op.fieldName === operation || op.operationId === operation);
  if (!spec) return Promise.resolve(undefined);
  return store.purge(`${source}:${spec.operationId}:`, args ? `:${argsDigest(args)}` : '');
}

/** Shown in GraphiQL on first visit; the demo's seed query. */
export const SEED_QUERY = `# Data from three backends in one request: orders (gRPC), inventory and logistics (REST).
{
  order(id: "1") {
    id
    customerId
    products { id name price stock }
    shipment { status carrier eta }
  }
}
`;
