import { entryAge, entryUse, createEntry, storeLifetimeMs, storeLifetimeMsFor, type CacheEntry, type CachePolicy } from '../cache/entry.js';
import { cacheKey } from '../cache/keys.js';
import { resolveCachePolicy } from '../cache/policy.js';
import type { CacheStore } from '../cache/store.js';
import type { Logger } from '../observability/logger.js';
import type { HttpCaching } from '../sources/types.js';
import { isBackendFailure } from './failures.js';
import type { PipelineStage, StageContext } from './stage.js';
import { pinnedGroup } from './route.js';
import type { SourceCall, Stage } from './types.js';

export interface CacheStageOptions {
  store: CacheStore;
  /** The policy for this call: global ▸ source ▸ operation, resolved once per operation. */
  policyFor: (call: SourceCall) => CachePolicy;
  /** Identical concurrent reads share one upstream call. Default true; per source in config. */
  dedupe: boolean;
  /** A successful mutation purges the source's entries. Default true. */
  invalidateOnMutation: boolean;
  /**
   * Honour what HTTP backends say: `max-age`/`s-maxage` replace the ttl, `no-store`/`no-cache` and (for public
   * entries) `private` prevent storing, and ETag/Last-Modified revalidate stale entries with a conditional request.
   */
  httpCaching: boolean;
  logger: Logger;
  onEvent?: (source: string, event: 'hit' | 'miss' | 'stale' | 'bypass' | 'refresh_error' | 'revalidated') => void;
  /** Injected so tests drive TTLs with fake timers. Default Date.now. */
  now?: () => number;
  /**
   * The traffic group a `route` rule pins the call to: its answers are kept and shared apart from other groups'
   * (a canary's answer is never served to a stable call, nor a stable one to a call pinned to the canary).
   * Default: none.
   */
  pinnedGroupOf?: (call: SourceCall) => string | undefined;
}

/** Milliseconds one node holds the right to refresh an entry, so the others don't refresh it too. */
const REFRESH_LOCK_MS = 5_000;
const NEVER_ABORTED = new AbortController().signal;

/**
 * Cache, stale-while-revalidate, stale-if-error and request coalescing for one source, in one stage since they
 * share the entry read at the start of the call:
 *   fresh entry            → served, no call;
 *   within SWR window      → served at once (marked stale), refreshed in the background once;
 *   otherwise              → live call (coalesced with identical in-flight calls); on a backend failure an
 *                            entry within the stale-if-error window is served instead, marked stale.
 * Errors are never stored; only read-only operations are cached.
 */
export function createCacheStage(options: CacheStageOptions): Stage {
  const { store, logger } = options;
  const now = options.now ?? Date.now;
  const inflight = new Map<string, Promise<unknown>>();
  const emit = (source: string, event: Parameters<NonNullable<CacheStageOptions['onEvent']>>[1]) => options.onEvent?.(source, event);

  /** One upstream call per key at a time; the shared call is detached from the first caller's disconnect. */
  function fetchShared(key: string, call: SourceCall, next: (call: SourceCall) => Promise<unknown>, policy: CachePolicy, entry?: CacheEntry): Promise<unknown> {
    const existing = options.dedupe ? inflight.get(key) : undefined;
    if (existing) return existing;
    const lifetime = storeLifetimeMs(policy);
    const http: HttpCaching | undefined = options.httpCaching && lifetime > 0 ? { validators: entry?.validators } : undefined;
    const upstream = { ...call, ...(options.dedupe ? { signal: NEVER_ABORTED } : {}), ...(http ? { http } : {}) };
    const pending = next(upstream).then(async (value) => {
      if (http?.notModified && entry) {
        // 304: the backend vouches for what we hold; it is fresh again for another ttl.
        call.outcome.cache = 'revalidated';
        emit(call.source, 'revalidated');
        await store.set(key, createEntry(entry.value, now(), policy, http.maxAge ?? policy.ttl, entry.validators), storeLifetimeMsFor(policy, http.maxAge ?? policy.ttl));
        return entry.value;
      }
      if (lifetime === 0 || !isStorable(value)) return value;
      if (http?.noStore || (http?.private && policy.scope === 'public')) return value;
      const ttl = http?.maxAge ?? policy.ttl;
      await store.set(key, createEntry(value, now(), policy, ttl, http?.received), storeLifetimeMsFor(policy, ttl));
      return value;
    });
    if (options.dedupe) {
      inflight.set(key, pending);
      const forget = () => inflight.delete(key);
      pending.then(forget, forget);
    }
    return pending;
  }

  function refreshInBackground(key: string, call: SourceCall, next: (call: SourceCall) => Promise<unknown>, policy: CachePolicy): void {
    if (inflight.has(key)) return;
    void store
      .tryLock(key, REFRESH_LOCK_MS)
      .then((mine) => (mine ? fetchShared(key, { ...call, signal: NEVER_ABORTED }, next, policy) : undefined))
      .catch((error: unknown) => {
        emit(call.source, 'refresh_error');
        logger.debug({ source: call.source, operation: call.operation.operationId, err: error }, 'background refresh failed');
      });
  }

  function serveStale(call: SourceCall, entry: CacheEntry): unknown {
    call.outcome.staleAge = entryAge(entry, now());
    call.outcome.cache = 'stale';
    emit(call.source, 'stale');
    return entry.value;
  }

  return async function cacheStage(call, next) {
    if (!call.operation.readOnly) {
      const value = await next(call);
      if (options.invalidateOnMutation) await store.purge(`${call.source}:`);
      return value;
    }
    const policy = options.policyFor(call);
    if (!options.dedupe && storeLifetimeMs(policy) === 0) return next(call);
    const group = options.pinnedGroupOf?.(call);
    const scope = (policy.scope === 'private' ? call.scopeKey : '') + (group === undefined ? '' : `~${group}`);
    const key = cacheKey(call.source, call.operation.operationId, scope, call.args);
    // Nothing to store or read: only coalescing applies.
    if (storeLifetimeMs(policy) === 0) return fetchShared(key, call, next, policy);
    const entry = await store.get(key);
    const use = entry ? entryUse(entry, now(), policy) : 'expired';

    if (entry && !call.bypassCache) {
      if (use === 'fresh') {
        call.outcome.cache = 'hit';
        emit(call.source, 'hit');
        return entry.value;
      }
      if (use === 'revalidate') {
        refreshInBackground(key, call, next, policy);
        return serveStale(call, entry);
      }
    }
    call.outcome.cache = call.bypassCache ? 'bypass' : 'miss';
    emit(call.source, call.outcome.cache);
    try {
      return await fetchShared(key, call, next, policy, entry);
    } catch (error) {
      if (entry && use !== 'expired' && isBackendFailure(error)) {
        logger.debug({ source: call.source, operation: call.operation.operationId, err: error }, 'backend failed; serving stale');
        return serveStale(call, entry);
      }
      throw error;
    }
  };
}


/** A GraphQL result with errors is an error, not data: never stored. */
function isStorable(value: unknown): boolean {
  if (value === undefined) return false;
  if (value !== null && typeof value === 'object' && 'errors' in value) {
    const errors = (value as { errors?: unknown }).errors;
    return !Array.isArray(errors) || errors.length === 0;
  }
  return true;
}

/** The cache stage of one source, from the config: policies resolved once per operation rather than per call. */
export function createSourceCacheStage(context: StageContext): Stage {
  const { config, source } = context;
  const policies = new Map<string, CachePolicy>();
  return createCacheStage({
    store: context.store,
    dedupe: source.dedupe ?? true,
    invalidateOnMutation: config.cache.invalidateOnMutation,
    httpCaching: config.cache.httpCaching,
    logger: context.logger,
    onEvent: (name, event) => context.metrics.cacheEvents.inc({ source: name, event }),
    ...(source.route ? { pinnedGroupOf: (call: SourceCall) => pinnedGroup(source.route, call) } : {}),
    policyFor(call) {
      let policy = policies.get(call.operation.fieldName);
      if (!policy) {
        policy = resolveCachePolicy(config.cache, source.cache, source.operations?.[call.operation.fieldName]?.cache);
        policies.set(call.operation.fieldName, policy);
      }
      return policy;
    },
  });
}

/** Streams are neither cached nor shared: no stream stage. */
export const cacheStage: PipelineStage = { name: 'cache', call: createSourceCacheStage };
