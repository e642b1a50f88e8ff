import { describe, expect, it } from 'vitest';
import { createEntry, entryAge, entryUse, storeLifetimeMs, isCacheEntry } from '../../src/cache/entry.js';
import { resolveCachePolicy } from '../../src/cache/policy.js';
import { cacheKey } from '../../src/cache/keys.js';
import { hashIdentity as scopeKeyOf } from '../../src/request/caller.js';

const policy = resolveCachePolicy({ ttl: 10, staleWhileRevalidate: 5, staleIfError: 60 });

describe('cache entries', () => {
  it('are fresh for ttl, then revalidated for staleWhileRevalidate, then a fallback until staleIfError, then useless', () => {
    const entry = createEntry({ a: 1 }, 1_000_000, policy);
    expect(entryUse(entry, 1_000_000, policy)).toBe('fresh');
    expect(entryUse(entry, 1_009_999, policy)).toBe('fresh');
    expect(entryUse(entry, 1_010_000, policy)).toBe('revalidate');
    expect(entryUse(entry, 1_014_999, policy)).toBe('revalidate');
    expect(entryUse(entry, 1_015_000, policy)).toBe('fallback');
    expect(entryUse(entry, 1_069_999, policy)).toBe('fallback');
    expect(entryUse(entry, 1_070_000, policy)).toBe('expired');
    expect(entryAge(entry, 1_042_700)).toBe(42);
  });

  it('are stored as long as a rule can use them, and not at all when none can', () => {
    expect(storeLifetimeMs(policy)).toBe(70_000);
    expect(storeLifetimeMs(resolveCachePolicy({ ttl: 0, staleIfError: 0 }))).toBe(0);
  });

  it('layer policies field by field: defaults, global, source, operation', () => {
    expect(resolveCachePolicy()).toEqual({ ttl: 0, staleWhileRevalidate: 0, staleIfError: 86_400, scope: 'private' });
    expect(resolveCachePolicy({ ttl: 30, scope: 'public' }, { ttl: 5 }, undefined, { staleIfError: 1 })).toEqual({ ttl: 5, staleWhileRevalidate: 0, staleIfError: 1, scope: 'public' });
  });

  it('reject foreign shapes read from a shared store', () => {
    expect(isCacheEntry({ value: 1, storedAt: 1, freshUntil: 2 })).toBe(true);
    expect(isCacheEntry({ value: 1, storedAt: '1', freshUntil: 2 })).toBe(false);
    expect(isCacheEntry('garbage')).toBe(false);
  });
});

describe('cache keys', () => {
  it('do not depend on argument order, and differ by source, operation, scope and arguments', () => {
    const base = cacheKey('inventory', 'product', '', { id: 'p1', warehouse: 'n' });
    expect(cacheKey('inventory', 'product', '', { warehouse: 'n', id: 'p1' })).toBe(base);
    expect(base.startsWith('inventory:product::')).toBe(true);
    for (const other of [
      cacheKey('logistics', 'product', '', { id: 'p1', warehouse: 'n' }),
      cacheKey('inventory', 'products', '', { id: 'p1', warehouse: 'n' }),
      cacheKey('inventory', 'product', scopeKeyOf('Bearer a'), { id: 'p1', warehouse: 'n' }),
      cacheKey('inventory', 'product', '', { id: 'p2', warehouse: 'n' }),
    ])
      expect(other).not.toBe(base);
  });

  it('never contain the caller\'s credentials', () => {
    expect(scopeKeyOf('Bearer secret-token')).not.toContain('secret');
    expect(scopeKeyOf('')).toBe('');
  });
});
