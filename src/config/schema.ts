import { z } from 'zod';
import { cachePolicySchema } from '../sources/source-config.js';
import { sourceConfigSchema } from '../sources/registry.js';
import { limitsAccessFields, rootAccessFields, serverAccessFields } from './access-schema.js';
import { liveRootFields, serverLiveFields } from './live-schema.js';

/**
 * The configuration file's schema: types, defaults and documentation in one place.
 * Every object is strict, so a misspelt key is an error instead of a silently ignored setting.
 */

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      /** TCP port. `--port` and `PORT` override it. Default 4000. */
      port: z.number().int().min(0).max(65535).default(4000),
      /** Interface to listen on. Default 127.0.0.1. */
      host: z.string().min(1).default('127.0.0.1'),
      /** Serve GraphiQL to browsers at /graphql. Default true. */
      graphiql: z.boolean().default(true),
      /**
       * Milliseconds one GraphQL request may spend on backend calls, all of them together: each call gets the
       * smaller of its own timeout and what is left (HTTP backends are told in `x-request-timeout-ms`, gRPC in its
       * deadline), so a chain of links can never take k × the call timeout. Default 30000.
       */
      requestTimeoutMs: z.number().int().positive().default(30_000),
      ...serverAccessFields,
      ...serverLiveFields,
    })
    .prefault({}),
  cache: cachePolicySchema
    .extend({
      /** `memory` (default) or a `redis://` URL shared by several gateway nodes. */
      store: z.string().regex(/^(memory|rediss?:\/\/.+)$/, 'must be "memory" or a redis:// URL').default('memory'),
      /** Entries kept by the memory store before the least recently used are evicted. Default 10000. */
      maxEntries: z.number().int().positive().default(10_000),
      /** A client's `Cache-Control: no-cache` forces live calls. Default true. */
      honorClientNoCache: z.boolean().default(true),
      /** A successful mutation purges the cached entries of its source. Default true. */
      invalidateOnMutation: z.boolean().default(true),
      /**
       * Honour HTTP backends' caching headers: `s-maxage`/`max-age` replace the ttl, `no-store`/`no-cache` are not
       * stored, `private` is not stored in public entries, and stale entries with an ETag or Last-Modified are
       * revalidated with a conditional request (a 304 refreshes them). Default true.
       */
      httpCaching: z.boolean().default(true),
    })
    .prefault({}),
  sources: z.array(sourceConfigSchema).min(1, 'needs at least one source'),
  /** SDL file with `extend type` blocks whose fields are resolved by another source (`@delegate`). */
  links: z.string().min(1).optional(),
  limits: z
    .strictObject({
      /** Deepest field nesting of a query (introspection exempt). Default 15. */
      maxDepth: z.number().int().positive().default(15),
      /** Aliases in one operation. Default 30. */
      maxAliases: z.number().int().nonnegative().default(30),
      /** Lexical tokens in a document. Default 3000. */
      maxTokens: z.number().int().positive().default(3000),
      /** graphql-armor's cost estimate of an operation. Default 5000. */
      maxCost: z.number().int().positive().default(5000),
      /** Directives in one operation. Default 50. */
      maxDirectives: z.number().int().nonnegative().default(50),
      /** Hide "Did you mean ...?" field suggestions in errors. Default false. */
      blockFieldSuggestions: z.boolean().default(false),
      ...limitsAccessFields,
    })
    .prefault({}),
  admin: z
    .strictObject({
      /**
       * Bearer token for `/admin/api/*` (use `${ADMIN_TOKEN}`); at least 16 characters. Without it the admin
       * API answers 404 and the dashboard cannot load data.
       */
      // '' counts as unset, so `token: ${ADMIN_TOKEN:-}` disables the API when the variable is not set.
      token: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16, 'must be at least 16 characters').optional()),
      /** Bearer token `/metrics` requires (16+ characters; '' counts as unset). Default none: `/metrics` is open. */
      metricsToken: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16, 'must be at least 16 characters').optional()),
    })
    .prefault({}),
  ...rootAccessFields,
  // ---- live operation (issue 13): reload guard and retries, local state, cluster
  ...liveRootFields,
  // ---- observability (issue 12): tracing export, the per-request log line, bounded metric labels
  telemetry: z
    .strictObject({
      /** OpenTelemetry traces over OTLP/HTTP. Off (no SDK loaded, no span made) unless `endpoint` is set. Read at start. */
      otlp: z
        .strictObject({
          /**
           * Base URL of an OTLP/HTTP receiver (`http://collector:4318`); spans are POSTed to `<endpoint>/v1/traces`
           * (a URL already ending in `/v1/traces` is used as it is). Default: unset, tracing off.
           */
          endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
          /** Headers sent with every export (an API key of a hosted collector). Default none. */
          headers: z.record(z.string(), z.string()).optional(),
          /** `service.name` of the spans. Default `interchange`. */
          serviceName: z.string().min(1).default('interchange'),
          /**
           * Share of requests traced when the client sent no sampled `traceparent` (0 to 1); a client's sampled
           * trace is always followed. Default 1 (every request).
           */
          sampleRatio: z.number().min(0).max(1).default(1),
        })
        .prefault({}),
      /** One structured log line per GraphQL request, at info (`LOG_LEVEL=warn` silences it). */
      requestLog: z
        .strictObject({
          /** Share of requests logged (0 to 1): 1 logs every request, 0 none. Default 1. */
          sample: z.number().min(0).max(1).default(1),
          /** Requests with errors or stale answers are logged whatever `sample` says. Default true. */
          alwaysLogProblems: z.boolean().default(true),
        })
        .prefault({}),
      /**
       * GraphQL operation names used as metric labels. Names listed here are always their own label, and so
       * are the names of the operations in `server.trustedDocuments` (at most `maxOperationNames` of them);
       * every other operation is `other` (anonymous ones `anonymous`), so no client can add a series or take a
       * label. The label is the name of the operation that ran, never one a request merely claims.
       */
      operationNames: z.array(z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/, 'must be a GraphQL operation name')).default([]),
      /** How many names of trusted documents get a label of their own (see `operationNames`). Default 50. */
      maxOperationNames: z.number().int().nonnegative().default(50),
    })
    .prefault({}),
});

export type ParsedConfig = z.infer<typeof configSchema>;
export type { CachePolicyConfig } from '../sources/source-config.js';
export type { SourceConfig } from '../sources/registry.js';
export type { OpenApiSourceConfig } from '../sources/openapi/config.js';
export type { GrpcSourceConfig } from '../sources/grpc/config.js';
export type { GraphqlSourceConfig } from '../sources/graphql/config.js';
