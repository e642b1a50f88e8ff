import { createHash } from 'node:crypto';
import { RateLimiterCluster, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitRule } from '../config/access-schema.js';
import type { Logger } from '../observability/logger.js';

export type { RateLimitRule };

/** The counters of every rule, kept by the gateway across reloads: a reload that keeps a rule keeps its counts. */
export interface RateLimiters extends AsyncDisposable {
  /** `memory`, `redis`, or `cluster` (memory counters held by the primary of `serve --workers N`). */
  readonly kind: 'memory' | 'redis' | 'cluster';
  /** The limiter of `rule` (made on first use). */
  limiterFor(rule: RateLimitRule): RateLimiterAbstract;
  /**
   * The budget of clients throttled by abuse detection (`points` per `windowSeconds`): in memory, held by the
   * primary with workers whatever the store (never in Redis: the detector that throttles is per machine too).
   */
  throttleLimiterFor(points: number, windowSeconds: number): RateLimiterAbstract;
}

export interface RateLimitersOptions {
  /** `memory`, or a `redis://` URL whose counters every gateway node shares. */
  store: string;
  logger: Logger;
  /**
   * This process is a worker of `serve --workers N` (N > 1): memory counters are kept by the primary
   * (rate-limiter-flexible's `RateLimiterCluster`, answered by the `RateLimiterClusterMaster` the primary
   * made before forking), so N workers share one budget instead of granting N; with a Redis store, the
   * throttle budget and the insurance counters used while Redis is away are kept there. Default false.
   */
  clusterWorker?: boolean;
  /** Milliseconds a worker waits for the primary's answer before letting the request through. Default 5000. */
  clusterTimeoutMs?: number;
}

/** A rule's identity: the same rule in every process and generation gets the same counters. */
function ruleKey(rule: RateLimitRule): string {
  return createHash('sha256').update(JSON.stringify(rule)).digest('base64url').slice(0, 16);
}

/**
 * rate-limiter-flexible's fixed-window counters, in memory or in Redis (atomic increments in one Lua call, so
 * nodes sharing a Redis share each budget). While Redis is unreachable each node falls back to its own memory
 * counters (the library's insurance limiter) rather than refusing or letting everything through.
 */
export async function createRateLimiters(options: RateLimitersOptions): Promise<RateLimiters> {
  const limiters = new Map<string, RateLimiterAbstract>();
  // Rules are frozen config objects, the same per generation: hashing one is needed once, not per request.
  const byRule = new WeakMap<RateLimitRule, RateLimiterAbstract>();
  let client: ReturnType<typeof import('@redis/client').createClient> | undefined;
  if (options.store !== 'memory') {
    const { createClient } = await import('@redis/client');
    client = createClient({ url: options.store, socket: { reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5_000) } });
    // Not awaited: with a reconnect strategy, node-redis's connect() keeps retrying an unreachable server and
    // never settles, which held the whole gateway's start. Until the store is ready every limiter counts in
    // its insurance limiter (rejectIfRedisNotReady), and it says so once.
    let warned = false;
    client.on('error', (err: unknown) => {
      if (!warned && !client!.isReady) options.logger.warn({ err }, 'the rate-limit store is unreachable; counting in memory until it is back');
      else options.logger.debug({ err }, 'rate-limit store error');
      warned = true;
    });
    client.on('ready', () => {
      if (warned) options.logger.info('the rate-limit store is reachable again');
      warned = false;
    });
    client.connect().catch((err: unknown) => options.logger.warn({ err }, 'the rate-limit store cannot be used; counting in memory'));
  }
  const clustered = options.clusterWorker === true;
  // The primary keeps one counter set per key prefix, so every worker's limiter of one rule shares it. With a
  // Redis store, that is also the insurance while Redis is away, so N workers still grant one budget then.
  const inMemory = (base: { points: number; duration: number; keyPrefix: string }): RateLimiterAbstract =>
    clustered ? new RateLimiterCluster({ ...base, timeoutMs: options.clusterTimeoutMs ?? 5_000 }) : new RateLimiterMemory(base);
  return {
    kind: client ? 'redis' : clustered ? 'cluster' : 'memory',
    limiterFor(rule) {
      const known = byRule.get(rule);
      if (known) return known;
      const key = ruleKey(rule);
      let limiter = limiters.get(key);
      if (!limiter) {
        const base = { points: rule.points, duration: rule.windowSeconds, keyPrefix: `interchange:rl:${key}` };
        limiter = client
          ? new RateLimiterRedis({ ...base, storeClient: client, useRedisPackage: true, rejectIfRedisNotReady: true, insuranceLimiter: inMemory(base) })
          : inMemory(base);
        limiters.set(key, limiter);
      }
      byRule.set(rule, limiter);
      return limiter;
    },
    throttleLimiterFor(points, windowSeconds) {
      const key = `interchange:abuse:${points}/${windowSeconds}`;
      let limiter = limiters.get(key);
      if (!limiter) limiters.set(key, (limiter = inMemory({ points, duration: windowSeconds, keyPrefix: key })));
      return limiter;
    },
    async [Symbol.asyncDispose]() {
      if (!client?.isOpen) return;
      // quit() waits for the server; a client still trying to reach it is just stopped.
      if (client.isReady) await client.quit().catch(() => undefined);
      else client.destroy();
    },
  };
}

/** The outcome of charging one rule: the counts after the charge, and whether it went over. */
export interface RuleCharge {
  readonly rule: RateLimitRule;
  readonly limited: boolean;
  readonly remaining: number;
  /** Milliseconds until the window resets. */
  readonly resetMs: number;
}

/** Charges `points` to `key` under `rule`; a store failure (not an exceeded limit) lets the request through. */
export async function charge(limiter: RateLimiterAbstract, rule: RateLimitRule, key: string, points: number): Promise<RuleCharge | undefined> {
  try {
    const res = await limiter.consume(key, points);
    return { rule, limited: false, remaining: res.remainingPoints, resetMs: res.msBeforeNext };
  } catch (error) {
    if (error instanceof RateLimiterRes) return { rule, limited: true, remaining: 0, resetMs: error.msBeforeNext };
    return undefined;
  }
}
