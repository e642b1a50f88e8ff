import { z } from 'zod';
import { operationResilienceFields, resilienceConfigFields } from './resilience-config.js';

/**
 * The keys every `sources:` entry has, whatever its kind, as zod fields that each kind's schema spreads into its
 * own strict object (`sources/<kind>/config.ts`). They live here, beside the source contract, so that a kind's
 * config is defined in its own folder and `config/` only assembles the kinds the registry lists.
 */

export const durationMs = z.number().int().nonnegative();
export const fieldNameMap = z.record(z.string().min(1), z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/, 'must be a valid GraphQL name'));

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
     * Whose data an entry is: `public` (shared by every caller) or `private` (keyed by the caller: the verified
     * token's subject when `auth` is on, else a hash of `Authorization` and `Cookie`, plus every header forwarded
     * to the source). `public` is refused for a source that forwards headers or claims. Default `private`.
     */
    scope: z.enum(['public', 'private']).optional(),
  })
  .describe('cache policy');

// --- access (issue 10): who may call a source or an operation, and what is recorded about it ---

/** A claim's required value: one value, or a list of which any one will do. */
const claimValue = z.union([z.string(), z.number(), z.boolean()]);

/**
 * Who may call: `public` (anyone), `authenticated` (any valid token), `{ scopes: [...] }` (a valid token whose
 * scope claim holds every scope listed) or `{ claims: { role: admin } }` (a valid token whose claims have these
 * values: equal, or containing the value when the claim is a list; a list here means any of its values).
 * `scopes` and `claims` may be combined: both must hold.
 */
export const accessRuleSchema = z.union([
  z.enum(['public', 'authenticated']),
  z
    .strictObject({
      scopes: z.array(z.string().min(1)).min(1).optional(),
      claims: z.record(z.string().min(1), z.union([claimValue, z.array(claimValue).min(1)])).optional(),
    })
    .refine((rule) => rule.scopes !== undefined || rule.claims !== undefined, 'needs scopes or claims'),
]);
export type AccessRule = z.infer<typeof accessRuleSchema>;

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');
// --- end access ---

/** Per-operation settings, keyed by the operation's field name. */
export const operationSettingsSchema = z.strictObject({
  /** This operation's cache policy, over the source's. */
  cache: cachePolicySchema.optional(),
  /** Milliseconds one call of this operation may take. Default: the source's `timeoutMs`. */
  timeoutMs: durationMs.min(1).optional(),
  ...operationResilienceFields,
  /** Who may call this operation, over the source's `auth`. Default: the source's rule. */
  auth: accessRuleSchema.optional(),
  /** Write an audit line for every call of this operation (see `audit`). Default: the source's `audit`. */
  audit: z.boolean().optional(),
});

export const sourceConfigFields = {
  /** Unique name; used in errors, metrics, `extensions.source` and links. */
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must start with a letter and contain only letters, digits, _ and -'),
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
  /** Per operation (field name) settings, over the source's. */
  operations: z.record(z.string(), operationSettingsSchema).optional(),
  // Replicas, balancing, health, breaker, retries, backpressure (resilience-config.ts); `endpoints` is there.
  ...resilienceConfigFields,
  /** Who may call this source's operations (root fields and links alike). Default: `auth.default`. */
  auth: accessRuleSchema.optional(),
  /**
   * Claims of the caller's verified token sent to this backend as headers (gRPC: metadata), e.g.
   * `{ sub: x-user-id }`. A claim the token lacks sends no header; a list claim is joined with ','. Default none.
   */
  claimsToHeaders: z.record(z.string().min(1), headerName.transform((h) => h.toLowerCase())).optional(),
  /** Write an audit line for every call of this source (the `audit` section says where). Default false. */
  audit: z.boolean().optional(),
  /**
   * `/readyz` answers 503 while this source is unreachable (its breaker open, or no call or probe succeeded
   * lately), so a load balancer sends no traffic to a node that cannot serve it. Default false.
   */
  required: z.boolean().optional(),
};

/** What every kind's config has in common, as the gateway reads it (pipeline, links, admin). */
export type CommonSourceConfig = z.infer<z.ZodObject<typeof sourceConfigFields>> & { readonly kind: string };
export type CachePolicyConfig = z.infer<typeof cachePolicySchema>;
