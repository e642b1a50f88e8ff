import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { LiveAdmin } from '../admin/live-routes.js';
import type { SchemaSnapshots } from '../gateway/schema-snapshots.js';
import { collectStatus, type StatusView } from '../admin/status.js';
import { useAdmin } from '../admin/use-admin.js';
import { purgeCache } from '../cache/purge.js';
import { createCacheStore, type CacheStore } from '../cache/store.js';
import type { GatewayConfig } from '../config/load.js';
import { createGeneration, type Generation, type GenerationDeps } from '../gateway/generation.js';
import type { LoadedSource } from '../gateway/load-sources.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { createMetrics, type GatewayMetrics } from '../observability/metrics.js';
import { createOperationLabels } from '../observability/operation-label.js';
import { createTelemetry, type Telemetry } from '../observability/telemetry.js';
import { startTracing } from '../observability/tracing.js';
import { createRetainedState, type PipelineStage } from '../pipeline/index.js';
import { useQueryLimits } from '../security/use-query-limits.js';
import { corsOptionsFor } from '../security/cors.js';
import { boundedParserCache } from '../security/parser-cache.js';
import { useRequestGuards } from '../security/use-request-guards.js';
import { operationNamesOf, readTrustedDocuments, useAutomaticPersistedQueries, useTrustedDocuments } from '../security/use-persisted-documents.js';
import { endpointUrls } from '../sources/endpoints.js';
import { peekRequestState } from '../request/state.js';
import { sourceKindOf } from '../sources/registry.js';
import type { Transport } from '../sources/types.js';
import { createAuditStage } from '../pipeline/audit.js';
import { createAuditLog } from '../security/audit-log.js';
import { createAccessLayer } from './access-plugins.js';
import { createGenerationSwap, DEFAULT_DRAIN_MS } from './generation-swap.js';
import { settingsReadAtStart } from './settings-read-at-start.js';
import { useGenerationHolds } from './use-generation-holds.js';
import { useHealth } from './use-health.js';
import { useNoSourceLoaded } from './use-no-source-loaded.js';
import { createReadiness, type Readiness } from './readiness.js';
import { createStreamShutdown } from './use-stream-shutdown.js';
import { useMetricsEndpoint } from './use-metrics-endpoint.js';
import { useRequestBodyLimit } from './use-request-body-limit.js';
import { useFallbackMarker } from './use-fallback-marker.js';
import { useRequestId } from './use-request-id.js';
import { useRequestTelemetry } from './use-request-telemetry.js';
import { useStaleMarker } from './use-stale-marker.js';
import { useTracing } from './use-tracing.js';
import type { WorkerChannel } from './worker-channel.js';
import { shareWithWorkers } from './worker-sharing.js';

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
  /**
   * The verified user of a request for its log line (an id, never a credential). Default: `user` of the
   * request's state when authentication put one there (a string, or an object's `id` or `sub`).
   */
  userOf?: (request: Request) => string | undefined;
  // ---- live operation (issue 13)
  /** Schema snapshots of sources whose schema is fetched: saved after each fetch, used when it fails. Default none. */
  snapshots?: SchemaSnapshots;
  /**
   * Sources that may be left out of a generation when their schema can be neither fetched nor read from a
   * snapshot (the gateway starts and serves the rest). Default: none may; such a source fails the load.
   */
  tolerateMissing?: (source: string) => boolean;
  /** The config version of the first generation (a cluster's version). Default 1. */
  version?: number;
  /** The admin API's live routes (sources, links, schema, reload, cluster), read per request. Default: not served. */
  live?: () => LiveAdmin | undefined;
  // ---- serve --workers N (issue 15)
  /**
   * This process is a worker of `serve --workers N`: `/metrics` answers for every worker, memory rate limits and
   * abuse detection are the primary's, an admin cache purge reaches every worker's memory cache, and the admin
   * status and stats say which worker answered. Default: a process of its own.
   */
  worker?: WorkerChannel;
}

/** `user` as the authentication plugins leave it in the request's state: a string or an object with `id`/`sub`. */
function defaultUserOf(request: Request): string | undefined {
  const state = peekRequestState(request);
  // The access layer's verified identity first (issue 10): its subject is an id, never a credential.
  const subject = state?.caller?.identity?.subject;
  if (subject) return subject;
  const user = (state as { user?: unknown } | undefined)?.user;
  if (typeof user === 'string') return user;
  if (user !== null && typeof user === 'object') {
    const id = (user as { id?: unknown; sub?: unknown }).id ?? (user as { sub?: unknown }).sub;
    if (typeof id === 'string' || typeof id === 'number') return String(id);
  }
  return undefined;
}

export interface Gateway extends AsyncDisposable {
  /** The generation serving new requests. */
  readonly current: Generation;
  readonly yoga: YogaServerInstance<Record<string, never>, Record<string, never>>;
  readonly metrics: GatewayMetrics;
  /** The dashboard's history, the events hook and tracing (when configured), shared by all generations. */
  readonly telemetry: Telemetry;
  /** The cache store shared by all generations. */
  readonly store: CacheStore;
  /** Fetch API entry point: the whole HTTP surface without a socket (tests, serverless). */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /**
   * Builds a generation from `config` beside the current one and swaps it in only if it loads completely;
   * the old one is disposed once its in-flight requests are done (or after `drainMs`). A bad config throws and
   * changes nothing. `version` labels the new configuration (default: the current one + 1).
   */
  reload(config: GatewayConfig, options?: { version?: number }): Promise<void>;
  /**
   * The first half of `reload`: builds the generation (throwing, with nothing changed, when `config` is bad) and
   * leaves it to the caller to `commit` it (swap it in) or `discard` it, e.g. after looking at its schema.
   */
  prepare(config: GatewayConfig): Promise<PreparedGeneration>;
  /** The config version serving now (1 at start, +1 per reload, or what the caller of `reload`/`commit` gave). */
  readonly version: number;
  /** The config the gateway started with: what only a restart changes is read from it. */
  readonly startedWith: GatewayConfig;
  /** Readiness as `/readyz` reports it; `beginShutdown()` turns it 503 at once. */
  readonly readiness: Readiness;
  /** Ends every open subscription stream cleanly (shutdown). */
  closeStreams(): void;
}

/** A generation built beside the current one, not serving yet. */
export interface PreparedGeneration {
  readonly generation: Generation;
  /** Keys of the new config that only a restart applies (compared with the config the gateway started with). */
  readonly needRestart: readonly string[];
  /** Swaps it in; the replaced generation drains. */
  commit(options?: { version?: number }): void;
  /** Throws it away (closing its transports); nothing changed. */
  discard(): Promise<void>;
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
  // Tracing is read at start; without an endpoint no OpenTelemetry module is even loaded.
  const otlp = config.telemetry.otlp;
  const tracing = otlp.endpoint === undefined ? undefined : await startTracing({ endpoint: otlp.endpoint, headers: otlp.headers, serviceName: otlp.serviceName, sampleRatio: otlp.sampleRatio });
  const telemetry = createTelemetry({ metrics, tracing });
  const deps: GenerationDeps = {
    logger,
    metrics,
    store,
    retained,
    telemetry,
    stages: [createAuditStage(audit), ...(options.stages ?? [])],
    ...(options.transportFor ? { transportFor: options.transportFor } : {}),
    ...(options.snapshots ? { snapshots: options.snapshots } : {}),
    ...(options.tolerateMissing ? { tolerateMissing: options.tolerateMissing } : {}),
  };
  let first: Generation;
  try {
    first = await createGeneration(config, deps);
  } catch (error) {
    await store[Symbol.asyncDispose]();
    await tracing?.[Symbol.asyncDispose]();
    throw error;
  }
  first.commit();
  let version = options.version ?? 1;
  /** The dashboard's series follow the sources and replicas of the configuration serving now. */
  const configured = (generation: Generation) => {
    telemetry.history.configure([...generation.sources.values()].map((s) => ({ name: s.name, replicas: endpointUrls(s.config) })));
    telemetry.events.keepOnly(generation.sources.keys());
    metrics.configVersion.set(version);
    metrics.configLoadedAt.set(Date.now() / 1000);
  };
  configured(first);
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
        endpoints: endpointUrls(source.config),
        operations: sourceKindOf(source.config).describe(source.converted).fields.length,
        stages: source.stages,
        schema: current.origins.get(source.name) ?? 'spec',
        ...source.resilience(),
      })),
      missing: current.missing,
    };
  };
  const readiness = createReadiness({ current: () => ({ generation: generations.current, version }), reachability: telemetry.reachability });
  const streams = createStreamShutdown();
  // yoga's parse cache, bounded by the length of the documents too, not only their count (see
  // boundedParserCache); ours so a reload that changes limits.maxTokens can empty it: a document refused (or
  // accepted) under the old token limit must be counted again.
  const parserCache = boundedParserCache();

  // The plugins in the order they run, each readable on its own; a library user's come last.
  const configOf = (request: Request) => generations.pin(request).config;
  const trustedDocuments = config.server.trustedDocuments !== undefined ? readTrustedDocuments(config.server.trustedDocuments) : undefined;
  const access = await createAccessLayer({
    generations,
    logger,
    metrics,
    events: telemetry.events,
    rateLimitStore: config.rateLimitStore,
    ...(options.now ? { now: options.now } : {}),
    ...(options.worker ? { worker: options.worker } : {}),
  });
  const purge = (source: string, operation?: string, args?: Record<string, unknown>) =>
    purgeCache(store, { source, operation, args }, generations.current.sources.get(source)?.converted.operations.values() ?? []);
  const workers = options.worker ? shareWithWorkers(options.worker, { registry: metrics.registry, storeKind: store.kind, purge, logger }) : undefined;
  const plugins: Plugin[] = [
    useRequestId(), // x-request-id accepted or made, on every response and every backend call
    ...(workers ? [workers.plugin] : []), // serve --workers N: x-interchange-worker, the worker that answered
    ...(tracing ? [useTracing(tracing)] : []), // a span per request, the client's traceparent continued
    useRequestTelemetry({
      metrics,
      history: telemetry.history,
      logger,
      operationLabels: createOperationLabels({
        names: config.telemetry.operationNames,
        ...(trustedDocuments ? { fromDocuments: operationNamesOf(trustedDocuments) } : {}),
        max: config.telemetry.maxOperationNames,
      }),
      log: config.telemetry.requestLog,
      userOf: options.userOf ?? defaultUserOf,
    }), // requests by operation and outcome, the dashboard's history, one log line per request
    useRequestGuards({
      settings: (request) => {
        const { server, limits } = configOf(request);
        return { csrfPrevention: server.csrfPrevention, introspection: server.introspection, maxVariablesBytes: limits.maxVariablesBytes, maxIntrospectionDepth: limits.maxIntrospectionDepth };
      },
    }), // CSRF, UTF-8 and JSON of every parameter, variables size, introspection off or bounded
    useRequestBodyLimit(() => generations.current.config.limits.maxBodyBytes), // 413 over limits.maxBodyBytes
    useQueryLimits((request) => (request ? configOf(request) : generations.current.config).limits), // depth, aliases, tokens, cost: QUERY_TOO_COMPLEX
    ...(trustedDocuments ? [useTrustedDocuments(trustedDocuments)] : []), // only listed documents
    ...(config.server.persistedQueries ? [useAutomaticPersistedQueries()] : []), // APQ: a known hash stands for its document
    ...access.plugins, // caller, authentication (401), abuse throttling and rate limits (429), query cost
    useNoSourceLoaded((request) => generations.pin(request)), // 503 SOURCE_UNAVAILABLE while every source is left out (no schema to run on)
    useHealth({ readiness }), // /healthz, /readyz (JSON: why not ready)
    useMetricsEndpoint(metrics, () => generations.current.config.admin.metricsToken, workers?.scrape), // /metrics (admin.metricsToken)
    useGenerationHolds(generations), // a replaced generation stays open while its requests run
    streams.plugin, // subscriptions end cleanly on shutdown
    useStaleMarker(), // extensions.stale + Cache-Status
    useFallbackMarker(), // extensions.fallback
    useAdmin({
      token: () => generations.current.config.admin.token,
      status: () => collectStatus(statusView(), metrics),
      purge: (source, operation, args) => {
        workers?.purged(source, operation, args);
        return purge(source, operation, args);
      },
      sourceNames: () => [...generations.current.sources.keys()],
      throttled: () => access.throttled(),
      stats: { telemetry, view: () => ({ ...statusView(), configVersion: version }) },
      ...(options.live ? { live: options.live } : {}),
      ...(workers ? { identity: workers.identity } : {}),
    }), // /admin, /admin/assets/*, /admin/api/*
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
    parserAndValidationCache: parserCache,
    plugins,
  });

  async function prepare(next: GatewayConfig): Promise<PreparedGeneration> {
    let generation: Generation;
    try {
      generation = await createGeneration(next, deps);
    } catch (error) {
      metrics.configReloads.inc({ result: 'failed' });
      telemetry.events.report({ type: 'reload', ok: false, detail: (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200) });
      throw error;
    }
    const needRestart = settingsReadAtStart(config, next);
    let settled = false;
    return {
      generation,
      needRestart,
      commit(commitOptions = {}) {
        if (settled) throw new Error('this generation was already committed or discarded');
        settled = true;
        if (needRestart.length > 0) logger.warn({ keys: needRestart }, `reloaded, but ${needRestart.join(', ')} only change on restart`);
        if (generations.current.config.limits.maxTokens !== next.limits.maxTokens) {
          parserCache.documentCache.clear();
          parserCache.errorCache.clear();
        }
        generations.swap(generation);
        // Phase two of the reload: only now does the new generation change state it shares with the old one.
        generation.commit();
        version = commitOptions.version ?? version + 1;
        configured(generation);
        metrics.configReloads.inc({ result: 'ok' });
        telemetry.events.report({ type: 'reload', ok: true, version });
        logger.info({ sources: [...generation.sources.keys()], version }, 'configuration reloaded');
      },
      async discard() {
        if (settled) return;
        settled = true;
        await generation[Symbol.asyncDispose]();
      },
    };
  }

  return {
    get current() {
      return generations.current;
    },
    yoga: yoga as never,
    metrics,
    telemetry,
    store,
    fetch: async (input, init) => yoga.fetch(input as never, init ?? {}),
    async reload(next, reloadOptions = {}) {
      (await prepare(next)).commit(reloadOptions);
    },
    prepare,
    get version() {
      return version;
    },
    startedWith: config,
    readiness,
    closeStreams: () => streams.closeAll(),
    async [Symbol.asyncDispose]() {
      workers?.[Symbol.dispose]();
      await access[Symbol.asyncDispose]();
      await generations[Symbol.asyncDispose]();
      retained[Symbol.dispose]();
      await store[Symbol.asyncDispose]();
      await audit[Symbol.asyncDispose]();
      // Flushes the spans not exported yet.
      await tracing?.[Symbol.asyncDispose]();
    },
  };
}
