import { z } from 'zod';

/**
 * The resilience keys every `sources:` entry has (replicas, balancing, health, breaker, retries, backpressure),
 * spread into `sourceConfigFields`. Every key is optional; its default is applied where it is read (the stages
 * in `pipeline/`) and written here beside it, with its unit.
 */

const groupName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must start with a letter and contain only letters, digits, _ and -');
const ms = z.number().int().nonnegative();

/** One replica: a plain URL (or gRPC target), or an object giving it a weight and a traffic group. */
export const endpointSchema = z.union([
  z.string().min(1),
  z.strictObject({
    /** The replica's URL (HTTP kinds) or gRPC target (`host:port`). */
    url: z.string().min(1),
    /** Its share of the traffic against the other replicas of its group (`balance: weighted`, least-outstanding). Default 1. */
    weight: z.number().int().positive().optional(),
    /** The traffic group it belongs to (`stable`, `canary`, any name); see `groups` and `route`. Default `default`. */
    group: groupName.optional(),
  }),
]);

/**
 * Passive health: what the calls themselves tell about a replica. A replica that fails `failures` calls in a
 * row (connection errors, timeouts, 5xx, gRPC UNAVAILABLE) within `windowMs` is ejected: it gets no traffic for
 * `ejectionMs` × the number of times it was ejected (capped at `maxEjectionMs`), then one trial call
 * (probation) decides whether it is back or ejected again for longer.
 */
export const healthSchema = z.strictObject({
  /** Failed calls in a row that eject a replica. Default 5. */
  failures: z.number().int().positive().optional(),
  /** Milliseconds the failures must fall within. Default 10000. */
  windowMs: ms.min(1).optional(),
  /** Milliseconds of the first ejection; each further one lasts this much longer. Default 5000. */
  ejectionMs: ms.min(1).optional(),
  /** Longest ejection, in milliseconds. Default 300000 (5 min). */
  maxEjectionMs: ms.min(1).optional(),
  /**
   * Most of a pool that may be ejected at once, in percent (at least one replica of a pool of two or more may
   * always be). When every replica fails, traffic keeps spreading over all of them instead of piling onto the
   * last one standing. Default 50.
   */
  maxEjectedPercent: z.number().min(0).max(100).optional(),
  /**
   * Active health: a check polled on every replica. A replica that fails it `unhealthyAfter` times in a row gets
   * no traffic until it passes `healthyAfter` times in a row. Default: off.
   */
  active: z
    .strictObject({
      /** HTTP kinds: the path (on the endpoint's origin) answered with a 2xx by a healthy replica, e.g. `/healthz`. */
      path: z.string().regex(/^\//, 'must start with /').optional(),
      /** gRPC: the service name asked of `grpc.health.v1.Health/Check`; '' means the whole server. Default ''. */
      service: z.string().optional(),
      /** Milliseconds between two checks of a replica. Default 10000. */
      intervalMs: ms.min(100).optional(),
      /** Milliseconds one check may take. Default 2000. */
      timeoutMs: ms.min(1).optional(),
      /** Failed checks in a row that take a replica out. Default 2. */
      unhealthyAfter: z.number().int().positive().optional(),
      /** Passed checks in a row that bring it back. Default 1. */
      healthyAfter: z.number().int().positive().optional(),
    })
    .optional(),
});

/**
 * Circuit breaker (opossum) of the source and of each replica: opens when more than `errorPercent` of the calls
 * in the last `windowMs` failed (at least `minCalls` of them), or after `consecutiveFailures` in a row, fails fast while open, lets one probe call through
 * after `openMs` (half-open) and closes when it succeeds. Only backend failures count: unavailable, timeout, 5xx;
 * never a 4xx.
 */
export const breakerSchema = z.strictObject({
  /** Default true. */
  enabled: z.boolean().optional(),
  /** Failed calls in the window, in percent, above which it opens. Default 50. */
  errorPercent: z.number().min(0).max(100).optional(),
  /** Failed calls in a row that open it at once, whatever the rate (0: off). Default 10. */
  consecutiveFailures: z.number().int().nonnegative().optional(),
  /** Calls in the window before it may open. Default 20. */
  minCalls: z.number().int().positive().optional(),
  /** Milliseconds of the rolling window (10 buckets). Default 10000. */
  windowMs: ms.min(10).optional(),
  /** Milliseconds it stays open before a probe call is let through. Default 5000. */
  openMs: ms.min(1).optional(),
});

/**
 * Retries of idempotent calls (Query operations, REST GET/HEAD/PUT/DELETE, operations marked `idempotent`) after
 * a backend failure (unavailable, timeout, 5xx, 429), on another replica when there is one, with exponential
 * back-off and full jitter, within the request's time budget and the source's retry budget.
 */
export const retrySchema = z.strictObject({
  /** Retries after the first attempt (0: none). Default 2. */
  attempts: z.number().int().nonnegative().optional(),
  /** Milliseconds of the first back-off; it doubles per retry, and a random share of it is waited (full jitter). Default 25. */
  baseDelayMs: ms.optional(),
  /** Longest back-off, in milliseconds. Default 1000. */
  maxDelayMs: ms.optional(),
  /** A backend's `Retry-After` is waited up to this many milliseconds; a longer one means no retry. Default 5000. */
  maxRetryAfterMs: ms.optional(),
  /** Retries (and hedges) a source may make, in percent of its live calls over the last 10 s. Default 10. */
  budgetPercent: z.number().min(0).max(100).optional(),
  /** Retries per second a source may always make, whatever its call volume. Default 5. */
  minPerSecond: z.number().nonnegative().optional(),
  /** Retry mutations that are not marked `idempotent` too. Default false. */
  mutations: z.boolean().optional(),
  /**
   * Hedging for idempotent reads: when an attempt has not answered after this many milliseconds, a second one
   * goes to another replica; the first answer wins and the other is cancelled. Counted in the retry budget.
   * Default: off.
   */
  hedgeAfterMs: ms.min(1).optional(),
});

/** Backpressure: calls to this source in flight at once, and calls waiting for a slot; beyond both: SOURCE_OVERLOADED. */
export const backpressureSchema = z.strictObject({
  /** Calls in flight at once (all replicas together). Default 256. */
  maxInFlight: z.number().int().positive().optional(),
  /** Calls waiting for a slot; one more fails at once with SOURCE_OVERLOADED. Default 64. */
  maxQueued: z.number().int().nonnegative().optional(),
});

/**
 * A rule that pins a request to a traffic group, by one of: `header`, a request header (any case) whose value
 * equals `equals`; or `claim`, a claim of the caller's verified token (`auth.jwt`) that equals `equals` (a
 * number or boolean as its text; a list claim when one of its items does). An anonymous caller matches no claim
 * rule.
 */
export const routeRuleSchema = z
  .strictObject({
    /** Request header to read. */
    header: z
      .string()
      .min(1)
      .transform((name) => name.toLowerCase())
      .optional(),
    /** Top-level claim of the verified token to read (`sub`, `tenant`, `groups`). */
    claim: z.string().min(1).optional(),
    /** Value that pins the request. */
    equals: z.string(),
    /** Group the matching requests go to. */
    group: groupName,
  })
  .refine((rule) => (rule.header === undefined) !== (rule.claim === undefined), 'needs either `header` or `claim` (one of them)');

export const resilienceConfigFields = {
  /** Replicas of the backend: URLs (gRPC: `host:port`) or `{ url, weight, group }`. */
  endpoints: z.array(endpointSchema).min(1, 'needs at least one endpoint'),
  /**
   * How a call picks a replica: `least-outstanding` (fewest calls in flight per unit of weight; spreads load
   * away from a slow replica), `round-robin` (in turn, weights ignored) or `weighted` (smooth weighted
   * round-robin). Default `least-outstanding`.
   */
  balance: z.enum(['least-outstanding', 'round-robin', 'weighted']).optional(),
  /**
   * Traffic share per group of replicas, e.g. `{ stable: 95, canary: 5 }` (relative weights). A group not listed
   * gets traffic only through `route`. Default: one pool of every replica.
   */
  groups: z.record(groupName, z.number().nonnegative()).optional(),
  /** Rules that pin a request to a group, the first match wins, e.g. `[{ header: x-canary, equals: "1", group: canary }]`. */
  route: z.array(routeRuleSchema).optional(),
  /** Passive (and optional active) health of the replicas. */
  health: healthSchema.optional(),
  /** The source's circuit breaker (and each replica's). */
  breaker: breakerSchema.optional(),
  /** Retries and hedging. */
  retry: retrySchema.optional(),
  /** Concurrency limit and queue. */
  backpressure: backpressureSchema.optional(),
};

/** Per-operation resilience keys, spread into `operationSettingsSchema`. */
export const operationResilienceFields = {
  /**
   * The value served when the backend fails and no stale answer is left (the ladder's third rung), shaped like
   * the field's type; the response lists it in `extensions.fallback`. REST and gRPC sources. Default: none.
   */
  fallback: z.unknown().optional(),
  /** Safe to repeat (a gRPC method or REST POST that is idempotent): retried like a read. Default: reads only. */
  idempotent: z.boolean().optional(),
};

export type EndpointConfig = z.infer<typeof endpointSchema>;
export type HealthConfig = z.infer<typeof healthSchema>;
export type BreakerConfig = z.infer<typeof breakerSchema>;
export type RetryConfig = z.infer<typeof retrySchema>;
export type BackpressureConfig = z.infer<typeof backpressureSchema>;
export type RouteRule = z.infer<typeof routeRuleSchema>;
