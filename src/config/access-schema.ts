import { z } from 'zod';
import { parseAddressRange } from './address-range.js';

/**
 * The config sections of the gateway's access layer (issue 10): authentication, rate limits, abuse detection,
 * the audit log, and the HTTP surface's own protections (CORS, CSRF, introspection, trusted documents). They are
 * plain data like the rest of the config, so a reload changes them; `schema.ts` spreads them into the root.
 */

const seconds = z.number().positive();
const redisOrMemory = z.string().regex(/^(memory|rediss?:\/\/.+)$/, 'must be "memory" or a redis:// URL');

export const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export const jwtSchema = z
  .strictObject({
    /** Shared secret for HMAC tokens (HS256 by default; use `${JWT_SECRET}`), at least 32 characters. */
    secret: z.string().min(32, 'must be at least 32 characters').optional(),
    /**
     * Where the public keys are: a JWKS file (path relative to the config file) or an `https://` URL (`http://` only
     * for localhost). A URL's key set is cached and fetched again when a token names a key id it does not hold,
     * at most once per `jwksRefetchSeconds`.
     */
    jwks: z.string().min(1).optional(),
    /** Required `iss` claim. Default: not checked. */
    issuer: z.string().min(1).optional(),
    /** Required `aud` claim (one of these). Default: not checked. */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    /** Accepted `alg` values. Default: `[HS256]` with `secret`, `[RS256, PS256, ES256, EdDSA]` with `jwks`. */
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).optional(),
    /** Seconds of clock difference allowed for `exp` and `nbf`. Default 30. */
    clockSkewSeconds: z.number().int().nonnegative().default(30),
    /** Claim holding the token's scopes (a space-separated string or a list). Default `scope` (then `scp`). */
    scopesClaim: z.string().min(1).default('scope'),
    /** Seconds a fetched JWKS is used before it is fetched again. Default 600. */
    jwksCacheSeconds: seconds.default(600),
    /** Least seconds between two fetches of a JWKS (refetches on an unknown `kid` are rate-limited by it). Default 30. */
    jwksRefetchSeconds: seconds.default(30),
    /** Milliseconds a JWKS fetch may take. Default 5000. */
    jwksTimeoutMs: z.number().int().positive().default(5000),
  })
  .refine((jwt) => (jwt.secret === undefined) !== (jwt.jwks === undefined), 'needs exactly one of secret or jwks');

export const authSchema = z.strictObject({
  /** How tokens are verified. Without it no token is verified and no source may require one. */
  jwt: jwtSchema.optional(),
  /**
   * The rule of sources and operations that set no `auth`: `public` or `authenticated`. With `authenticated`, a
   * request without a token is answered 401 before anything runs. Default `public`.
   */
  default: z.enum(['public', 'authenticated']).default('public'),
  /** The `realm` of the `WWW-Authenticate` challenge. Default `interchange`. */
  realm: z.string().min(1).default('interchange'),
});

export const rateLimitRuleSchema = z.discriminatedUnion('by', [
  z.strictObject({
    /** One budget per client IP address. */
    by: z.literal('ip'),
    /** Requests (or cost, with `cost: true`) per window. */
    points: z.number().int().positive(),
    windowSeconds: z.number().int().positive(),
    /** Charge the query's cost (`limits.queryCost`) instead of 1 per request. Default false. */
    cost: z.boolean().default(false),
  }),
  z.strictObject({
    /** One budget per user: the value of `claim` in the verified token. Requests without a token are not counted here. */
    by: z.literal('user'),
    /** Claim naming the user. Default `sub`. */
    claim: z.string().min(1).default('sub'),
    points: z.number().int().positive(),
    windowSeconds: z.number().int().positive(),
    cost: z.boolean().default(false),
  }),
  z.strictObject({
    /**
     * One budget per client (user when known, else IP) for requests that reach the source operation `operation`
     * (its public field name, as `operations:` keys it: `createOrder`), as a root field, through a link or as a
     * merged type's fetch. What a client calls its GraphQL operation does not matter.
     */
    by: z.literal('operation'),
    operation: z.string().min(1),
    /** The source whose operation it is, when several have one of that name. Default: any source. */
    source: z.string().min(1).optional(),
    points: z.number().int().positive(),
    windowSeconds: z.number().int().positive(),
    cost: z.boolean().default(false),
  }),
  z.strictObject({
    /** One budget per client (user when known, else IP) for requests that reach `source` (root fields or links). */
    by: z.literal('source'),
    source: z.string().min(1),
    points: z.number().int().positive(),
    windowSeconds: z.number().int().positive(),
    cost: z.boolean().default(false),
  }),
]);
export type RateLimitRule = z.infer<typeof rateLimitRuleSchema>;

export const abuseSchema = z
  .strictObject({
    /** Watch every client's request and failure rates and throttle sudden bursts and probing. Default true. */
    enabled: z.boolean().default(true),
    /** Seconds per measuring interval; the baseline is updated once per interval. Default 10. */
    intervalSeconds: seconds.default(10),
    /** Half-life of the baseline (an exponentially weighted average of requests per interval), in seconds. Default 300. */
    baselineHalfLifeSeconds: seconds.default(300),
    /** Intervals a new client is only watched, to learn its baseline, before it can be judged a burst. Default 3. */
    warmupIntervals: z.number().int().nonnegative().default(3),
    /** An interval with more than `burstFactor` × the baseline requests is a burst. Default 10. */
    burstFactor: z.number().min(1).default(10),
    /** ... and at least this many requests (a quiet client going from 1 to 12 is no attack). Default 100. */
    burstMinRequests: z.number().int().positive().default(100),
    /** An interval whose failed requests (invalid queries, 401, 403) are at least this share is probing. Default 0.5. */
    probingFailureRatio: z.number().min(0).max(1).default(0.5),
    /** ... with at least this many failures. Default 20. */
    probingMinFailures: z.number().int().positive().default(20),
    /** Seconds a throttled client stays throttled. Default 300. */
    coolDownSeconds: seconds.default(300),
    /** A throttled client may make this many requests per `throttledWindowSeconds`. Default 10. */
    throttledPoints: z.number().int().positive().default(10),
    throttledWindowSeconds: z.number().int().positive().default(60),
    /** POSTed a JSON event when a client is throttled. Default none. */
    webhook: z.string().url().optional(),
  })
  .prefault({});

export const auditSchema = z
  .strictObject({
    /** `stdout`, or a file path (relative to the config file) rotated by size. Default `stdout`. */
    destination: z.string().min(1).default('stdout'),
    /** A file is rotated when it reaches this many megabytes. Default 100. */
    maxSizeMb: z.number().positive().default(100),
    /** Rotated files kept beside the current one. Default 10. */
    maxFiles: z.number().int().positive().default(10),
    /** Paths into the variables and arguments written as "[Redacted]", e.g. `variables.input.password`, `args.card`. Default none. */
    redact: z.array(z.string().min(1)).default([]),
  })
  .prefault({});

export const corsSchema = z
  .strictObject({
    /**
     * Origins whose pages may call the gateway from a browser (`https://app.example`), or `*` for any page
     * (never with credentials). Default none: no cross-origin access.
     */
    origins: z.array(z.union([z.literal('*'), z.string().regex(/^https?:\/\/[^/]+$/, 'must be an origin like https://app.example')])).default([]),
    /** Let the listed origins (never `*`) send cookies and Authorization. Default false. */
    credentials: z.boolean().default(false),
    /** Seconds a browser may cache a preflight answer. Default 600. */
    maxAgeSeconds: z.number().int().nonnegative().default(600),
  })
  .prefault({});

/** Keys added to `server:`. */
export const serverAccessFields = {
  /** Cross-origin access from browsers. */
  cors: corsSchema,
  /**
   * Refuse requests a browser sends cross-site without a preflight (GET, form and text bodies) unless they carry
   * an `x-graphql-yoga-csrf` header (403). Default true.
   */
  csrfPrevention: z.boolean().default(true),
  /** Answer introspection queries. Off: `__schema`/`__type` are refused and "Did you mean" hints hidden. Default true. */
  introspection: z.boolean().default(true),
  /**
   * Where the client IP comes from. `false`: the socket's peer. Behind proxies that append to `X-Forwarded-For`:
   * `true` (one proxy) or their number (the client is that many addresses from the right), or a list of the
   * proxies' addresses and CIDR ranges (the client is the rightmost address that is not one of them). Never the
   * leftmost address, which the client writes itself. Default false.
   */
  trustProxy: z
    .union([
      z.boolean(),
      z.number().int().min(1),
      z.array(z.string().refine((text) => parseAddressRange(text) !== undefined, 'must be an IP address or a CIDR range (10.0.0.0/8, fd00::/8)')).min(1),
    ])
    .default(false),
  /**
   * Only documents in this JSON file (`{ "<sha256 hex>": "query ..." }`) run, sent as
   * `extensions.persistedQuery.sha256Hash` or `documentId`; any other document is refused. Default: off.
   */
  trustedDocuments: z.string().min(1).optional(),
  /** Automatic persisted queries (Apollo's APQ protocol): a client may send a known document's hash alone. Default false. */
  persistedQueries: z.boolean().default(false),
};

/** Keys added to `limits:`. */
export const limitsAccessFields = {
  /** Largest request body, in bytes (413 above). Default 1000000. */
  maxBodyBytes: z.number().int().positive().default(1_000_000),
  /** Operations in one batched request (a JSON array body); 0 turns batching off. Default 0. */
  maxBatch: z.number().int().nonnegative().default(0),
  /** Largest `variables` object, in bytes of JSON. Default 65536. */
  maxVariablesBytes: z.number().int().positive().default(65_536),
  /** Deepest nesting of an introspection query (GraphiQL's needs 13). Default 20. */
  maxIntrospectionDepth: z.number().int().positive().default(20),
  /** The list-aware cost model, also what cost-weighted rate limits charge. */
  queryCost: z
    .strictObject({
      /** Highest cost of one operation. Default 20000. */
      max: z.number().int().positive().default(20_000),
      /** Arguments that say how many items a list field returns. Default first, last, limit, pageSize. */
      sizeArguments: z.array(z.string().min(1)).default(['first', 'last', 'limit', 'pageSize']),
      /** Items assumed for a list field without a size argument. Default 20. */
      defaultListSize: z.number().int().positive().default(20),
    })
    .prefault({}),
};

/** Root keys. */
export const rootAccessFields = {
  auth: authSchema.prefault({}),
  /** Request rate limits; every rule is checked, the first one exceeded answers 429. Default none. */
  rateLimits: z.array(rateLimitRuleSchema).default([]),
  /** Where rate-limit counters live: `memory` (per process) or a `redis://` URL shared by gateway nodes. Default memory. */
  rateLimitStore: redisOrMemory.default('memory'),
  /** Abnormal-behaviour detection. */
  abuse: abuseSchema,
  /** Where audit lines go (sources and operations opt in with `audit: true`). */
  audit: auditSchema,
};
