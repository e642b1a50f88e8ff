/**
 * A cached backend answer and the pure rules of its life. No I/O here: the cache stage asks these
 * functions what an entry is good for at a given time, so the rules are tested without clocks or stores.
 */
export interface CacheEntry {
  readonly value: unknown;
  /** ETag / Last-Modified the backend sent with it, to revalidate it with a conditional request. */
  readonly validators?: { readonly etag?: string; readonly lastModified?: string };
  /** Epoch ms when the backend produced the value. */
  readonly storedAt: number;
  /** Epoch ms until which the value may be served without asking the backend. */
  readonly freshUntil: number;
}

/** Seconds, as in config. */
export interface CachePolicy {
  readonly ttl: number;
  readonly staleWhileRevalidate: number;
  readonly staleIfError: number;
  readonly scope: 'public' | 'private';
}

export const DEFAULT_CACHE_POLICY: CachePolicy = Object.freeze({ ttl: 0, staleWhileRevalidate: 0, staleIfError: 86_400, scope: 'private' });

/**
 * - `fresh`: serve it, no call;
 * - `revalidate`: serve it now, refresh in the background (stale-while-revalidate);
 * - `fallback`: call the backend; serve it only if the call fails (stale-if-error);
 * - `expired`: useless.
 */
export type EntryUse = 'fresh' | 'revalidate' | 'fallback' | 'expired';

export function entryUse(entry: CacheEntry, now: number, policy: CachePolicy): EntryUse {
  if (now < entry.freshUntil) return 'fresh';
  const staleFor = now - entry.freshUntil;
  if (staleFor < policy.staleWhileRevalidate * 1000) return 'revalidate';
  if (staleFor < policy.staleIfError * 1000) return 'fallback';
  return 'expired';
}

/** Whole seconds since the backend produced the value: the `age` in `extensions.stale`. */
export function entryAge(entry: CacheEntry, now: number): number {
  return Math.max(0, Math.floor((now - entry.storedAt) / 1000));
}

/** `ttlSeconds` overrides the policy's ttl: a backend's `max-age` when the config honours it. */
export function createEntry(value: unknown, now: number, policy: CachePolicy, ttlSeconds = policy.ttl, validators?: CacheEntry['validators']): CacheEntry {
  return { value, storedAt: now, freshUntil: now + ttlSeconds * 1000, ...(validators ? { validators } : {}) };
}

/** How long to keep an entry whose freshness is `ttlSeconds` rather than the policy's. */
export function storeLifetimeMsFor(policy: CachePolicy, ttlSeconds: number): number {
  return storeLifetimeMs({ ...policy, ttl: ttlSeconds });
}

/** How long the store must keep an entry: as long as any rule can still use it. 0 means don't store. */
export function storeLifetimeMs(policy: CachePolicy): number {
  return (policy.ttl + Math.max(policy.staleWhileRevalidate, policy.staleIfError)) * 1000;
}

/** True for a shape we wrote; anything else read from a shared store is treated as a miss. */
export function isCacheEntry(value: unknown): value is CacheEntry {
  return (
    value !== null &&
    typeof value === 'object' &&
    'value' in value &&
    typeof (value as CacheEntry).storedAt === 'number' &&
    typeof (value as CacheEntry).freshUntil === 'number'
  );
}
