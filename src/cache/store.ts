import { LRUCache } from 'lru-cache';
import type { Logger } from '../observability/logger.js';
import { isCacheEntry, type CacheEntry } from './entry.js';

/**
 * Where cache entries live. Every method swallows store failures (reported through `onError`): a cache that
 * is down means calls without cache, never failed requests.
 */
export interface CacheStore extends AsyncDisposable {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<CacheEntry | undefined>;
  set(key: string, entry: CacheEntry, lifetimeMs: number): Promise<void>;
  /** Removes every entry whose key starts with `prefix` (`source:` or `source:operation:`) and ends with `suffix`. */
  purge(prefix: string, suffix?: string): Promise<number>;
  /**
   * A short lock so that one node refreshes an entry while the others keep serving it: true if taken.
   * Memory stores are per process and always grant it (single-flight inside the process does the rest).
   */
  tryLock(key: string, ms: number): Promise<boolean>;
}

export interface CacheStoreOptions {
  /** `memory` or a `redis://` URL. */
  store: string;
  /** Bound of the memory store. */
  maxEntries: number;
  logger: Logger;
  /** Called on every store failure, for metrics. */
  onError?: (operation: string, error: unknown) => void;
  /** Milliseconds a store operation may take before it counts as failed and the call goes on without cache. Default 250. */
  operationTimeoutMs?: number;
  /** Milliseconds the store is left alone after a failure before it is tried again. Default 1000. */
  retryAfterMs?: number;
}

export async function createCacheStore(options: CacheStoreOptions): Promise<CacheStore> {
  return options.store === 'memory' ? createMemoryStore(options.maxEntries) : createRedisStore(options);
}

export function createMemoryStore(maxEntries: number): CacheStore {
  const lru = new LRUCache<string, CacheEntry>({ max: maxEntries, ttlAutopurge: false });
  return {
    kind: 'memory',
    async get(key) {
      return lru.get(key);
    },
    async set(key, entry, lifetimeMs) {
      lru.set(key, entry, { ttl: lifetimeMs });
    },
    async purge(prefix, suffix = '') {
      let removed = 0;
      for (const key of [...lru.keys()]) if (key.startsWith(prefix) && key.endsWith(suffix) && lru.delete(key)) removed++;
      return removed;
    },
    async tryLock() {
      return true;
    },
    async [Symbol.asyncDispose]() {
      lru.clear();
    },
  };
}

const NAMESPACE = 'interchange';

async function createRedisStore(options: CacheStoreOptions): Promise<CacheStore> {
  // Imported only when Redis is configured, so memory-store gateways don't load the client.
  const [{ default: KeyvRedis }, { default: Keyv }] = await Promise.all([import('@keyv/redis'), import('keyv')]);
  const timeoutMs = options.operationTimeoutMs ?? 250;
  const adapter = new KeyvRedis(options.store, {
    // Fail fast while Redis is away instead of queueing commands; the client reconnects by itself.
    throwOnConnectError: false,
    throwOnErrors: true,
    connectionTimeout: 1000,
  });
  const keyv = new Keyv<CacheEntry>({ store: adapter, namespace: NAMESPACE, useKeyPrefix: true, throwOnErrors: true });
  let lastErrorLog = 0;
  const fail = (operation: string, error: unknown) => {
    options.onError?.(operation, error);
    // One line per 10 s at most: a Redis outage must not flood the log at request rate.
    if (Date.now() - lastErrorLog > 10_000) {
      lastErrorLog = Date.now();
      options.logger.warn({ err: error, operation }, 'cache store unavailable; serving without cache');
    }
  };
  keyv.on('error', (error: unknown) => fail('connection', error));

  // After a failure the store is skipped for a moment instead of making every call wait out the timeout
  // while Redis is away; the client keeps reconnecting in the background meanwhile.
  let skipUntil = 0;
  async function guarded<T>(operation: string, fallback: T, run: () => Promise<T>): Promise<T> {
    if (Date.now() < skipUntil) return fallback;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        run(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`cache ${operation} took over ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      skipUntil = Date.now() + (options.retryAfterMs ?? 1000);
      fail(operation, error);
      return fallback;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    kind: 'redis',
    get: (key) => guarded('get', undefined, async () => {
      const value: unknown = await keyv.get(key);
      return isCacheEntry(value) ? value : undefined;
    }),
    set: (key, entry, lifetimeMs) => guarded('set', undefined, async () => void (await keyv.set(key, entry, lifetimeMs))),
    purge: (prefix, suffix = '') =>
      guarded('purge', 0, async () => {
        const client = adapter.client as unknown as { scanIterator(o: { MATCH: string; COUNT: number }): AsyncIterable<string | string[]>; del(keys: string[]): Promise<number> };
        let removed = 0;
        for await (const batch of client.scanIterator({ MATCH: `${NAMESPACE}:${escapeGlob(prefix)}*${escapeGlob(suffix)}`, COUNT: 500 })) {
          const keys = Array.isArray(batch) ? batch : [batch];
          if (keys.length > 0) removed += await client.del(keys);
        }
        return removed;
      }),
    tryLock: (key, ms) =>
      guarded('lock', false, async () => {
        const client = adapter.client as unknown as { set(k: string, v: string, o: { NX: true; PX: number }): Promise<string | null> };
        return (await client.set(`${NAMESPACE}:lock:${key}`, '1', { NX: true, PX: ms })) === 'OK';
      }),
    async [Symbol.asyncDispose]() {
      try {
        await adapter.disconnect();
      } catch {
        // Already gone; nothing to release.
      }
    },
  };
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
