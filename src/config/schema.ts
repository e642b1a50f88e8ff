import { z } from 'zod';

/**
 * The configuration file's schema: types, defaults and documentation in one place.
 * Every object is strict, so a misspelt key is an error instead of a silently ignored setting.
 */

const durationMs = z.number().int().nonnegative();
const fieldNameMap = z.record(z.string().min(1), z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/, 'must be a valid GraphQL name'));

/** Cache policy; every field optional so it can be layered: global ▸ source ▸ operation. */
export const cachePolicySchema = z
  .strictObject({
    /** Seconds an entry is fresh. 0 disables caching of fresh answers (stale-if-error still works). Default 0. */
    ttl: z.number().nonnegative().optional(),
    /** Seconds past `ttl` during which an entry is served at once and refreshed in the background. Default 0. */
    staleWhileRevalidate: z.number().nonnegative().optional(),
    /** Seconds past `ttl` during which an entry is served when the backend fails. Default 86400 (24 h). */
    staleIfError: z.number().nonnegative().optional(),
    /**
     * Whose data an entry is: `public` (shared by every caller) or `private` (keyed by the caller's
     * `Authorization` header and the headers in `varyHeaders`). Default `private`.
     */
    scope: z.enum(['public', 'private']).optional(),
  })
  .describe('cache policy');

const sourceCommon = {
  /** Unique name; used in errors, metrics, `extensions.source` and links. */
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must start with a letter and contain only letters, digits, _ and -'),
  /** Replicas of the backend; calls are spread over them and fail over to the next one. */
  endpoints: z.array(z.string().min(1)).min(1, 'needs at least one endpoint'),
  /** Default field or type name → public name, e.g. `{ getOrder: order }`. */
  rename: fieldNameMap.optional(),
  /** Milliseconds one backend call may take before it is abandoned. Default 10000. */
  timeoutMs: durationMs.min(1).optional(),
  /** HTTP connections kept per endpoint (REST, GraphQL); calls beyond it queue. Default 128. */
  maxConnections: z.number().int().positive().optional(),
  /** Client request headers forwarded to this backend (an allowlist; lower-case names). Default none. */
  forwardHeaders: z.array(z.string().min(1)).optional(),
  /** Static headers (HTTP) or metadata (gRPC) sent with every call. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Most calls one request has in flight to this source through unbatched links (no `key`). Default 16. */
  maxConcurrency: z.number().int().positive().optional(),
  /** Most keys a batched link (`@delegate(..., key:)`) sends to this source in one call. Default 100. */
  maxBatchSize: z.number().int().positive().optional(),
  /** Identical concurrent reads of this source share one upstream call. Default true. */
  dedupe: z.boolean().optional(),
  /** This source's cache policy, over the global one. */
  cache: cachePolicySchema.optional(),
  /** Per operation (field name) cache policy, over the source's. */
  operations: z.record(z.string(), z.strictObject({ cache: cachePolicySchema.optional(), timeoutMs: durationMs.min(1).optional() })).optional(),
};

const openapiSourceSchema = z.strictObject({
  ...sourceCommon,
  kind: z.literal('openapi'),
  /**
   * OpenAPI 3.0/3.1 or Swagger 2.0 document (YAML or JSON): a path relative to the config file, or an http(s) URL
   * fetched at load time (10 s timeout; a failure is SPEC_INVALID naming the URL).
   */
  spec: z.string().min(1),
  /**
   * Put before every type name and root field name of this source, after `rename`: `Inv` turns `Product` into
   * `InvProduct` and `products` into `invProducts`. Resolves name collisions between sources. Default none.
   */
  prefix: z.string().regex(/^[A-Za-z][_0-9A-Za-z]*$/, 'must start with a letter and contain only letters, digits and _').optional(),
  /**
   * Operations and types left out of the schema: an operationId, a default or final field name, or a type name.
   * Leaving out a type leaves out every operation that reaches it. Default none.
   */
  exclude: z.array(z.string().min(1)).optional(),
  /**
   * Query parameters sent with every call, e.g. `{ api_key: '${API_KEY}' }` for a backend that wants its key in
   * the query string (keys in a header or a bearer token go in `headers`). Default none.
   */
  queryParameters: z.record(z.string().min(1), z.string()).optional(),
});

/**
 * TLS for a gRPC source. Its presence is what turns TLS on: endpoints stay gRPC targets (`host:port`), there is
 * no `grpcs://` scheme. `tls: {}` verifies the server against Node's bundled CA roots.
 */
const grpcTlsSchema = z
  .strictObject({
    /** PEM CA bundle to trust for the server's certificate, relative to the config file. Default: Node's bundled roots. */
    ca: z.string().min(1).optional(),
    /** PEM client certificate chain for mutual TLS, relative to the config file; needs `key`. Default: none. */
    cert: z.string().min(1).optional(),
    /** PEM private key of `cert`, relative to the config file. Default: none. */
    key: z.string().min(1).optional(),
    /** Skip verifying the server's certificate and name (grpcurl's `-insecure`); for development only. Default false. */
    insecure: z.boolean().optional(),
  })
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), { message: 'cert and key go together (mutual TLS)' })
  .describe('TLS for the gRPC channel; present = TLS, absent = plaintext. Endpoints stay host:port.');

const grpcSourceSchema = z.strictObject({
  ...sourceCommon,
  kind: z.literal('grpc'),
  /**
   * The .proto file, relative to the config file; its services are exposed. Without it the services are loaded
   * at load time from the reflection service (grpc.reflection.v1, else v1alpha) of the first endpoint.
   */
  proto: z.string().min(1).optional(),
  /** Channels (HTTP/2 connections) per endpoint, used in turn. Default 1. */
  channels: z.number().int().min(1).max(64).optional(),
  /** TLS for the channel (see above). Default: plaintext. */
  tls: grpcTlsSchema.optional(),
  /** Directories searched for imports, relative to the config file. */
  includeDirs: z.array(z.string().min(1)).optional(),
  /** `Service/Method` or field name → `Query` | `Mutation`, overriding the naming convention. */
  rootTypes: z.record(z.string(), z.enum(['Query', 'Mutation'])).optional(),
});

const graphqlSourceSchema = z.strictObject({
  ...sourceCommon,
  kind: z.literal('graphql'),
  /** SDL file of the remote schema. Without it the schema is introspected from the first endpoint at load time. */
  schema: z.string().min(1).optional(),
});

export const sourceSchema = z.discriminatedUnion('kind', [openapiSourceSchema, grpcSourceSchema, graphqlSourceSchema]);

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      /** TCP port. `--port` and `PORT` override it. Default 4000. */
      port: z.number().int().min(0).max(65535).default(4000),
      /** Interface to listen on. Default 127.0.0.1. */
      host: z.string().min(1).default('127.0.0.1'),
      /** Serve GraphiQL to browsers at /graphql. Default true. */
      graphiql: z.boolean().default(true),
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
  sources: z.array(sourceSchema).min(1, 'needs at least one source'),
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
    })
    .prefault({}),
});

export type CachePolicyConfig = z.infer<typeof cachePolicySchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type OpenApiSourceConfig = z.infer<typeof openapiSourceSchema>;
export type GrpcSourceConfig = z.infer<typeof grpcSourceSchema>;
export type GraphqlSourceConfig = z.infer<typeof graphqlSourceSchema>;
export type ParsedConfig = z.infer<typeof configSchema>;
