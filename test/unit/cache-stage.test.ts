import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveCachePolicy } from '../../src/cache/policy.js';
import { createMemoryStore } from '../../src/cache/store.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createCacheStage } from '../../src/pipeline/cache.js';
import type { SourceCall } from '../../src/pipeline/types.js';
import { sourceCall } from '../helpers/source-call.js';
import { TransportError } from '../../src/sources/types.js';

/**
 * The cache stage's rules, with fake timers for TTLs. The "backend" here is the rest of the pipeline as a
 * function that counts calls: the stage under test never sees a protocol.
 */
const makeCall = sourceCall;

function backend() {
  let answer: () => Promise<unknown> = async () => ({ id: 'p1', version: calls.count });
  const calls = { count: 0 };
  return {
    calls,
    answerWith(fn: () => Promise<unknown>) {
      answer = fn;
    },
    next: async (_call: SourceCall) => {
      calls.count++;
      return answer();
    },
  };
}

describe('the cache stage', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-23T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function stage(policy = resolveCachePolicy({ ttl: 10, staleWhileRevalidate: 5, staleIfError: 60 }), dedupe = true) {
    const store = createMemoryStore(100);
    return { store, run: createCacheStage({ store, policyFor: () => policy, dedupe, invalidateOnMutation: true, httpCaching: true, logger: silentLogger, now: () => Date.now() }) };
  }

  it('serves a fresh entry without calling the backend, until the ttl passes', async () => {
    const { run } = stage();
    const b = backend();
    expect(await run(makeCall(), b.next)).toEqual({ id: 'p1', version: 1 });
    const second = makeCall();
    expect(await run(second, b.next)).toEqual({ id: 'p1', version: 1 });
    expect(second.outcome).toEqual({ cache: 'hit' });
    vi.advanceTimersByTime(9_999);
    await run(makeCall(), b.next);
    expect(b.calls.count).toBe(1);
  });

  it('within stale-while-revalidate serves the old value at once, marked stale, and refreshes once in the background', async () => {
    const { run } = stage();
    const b = backend();
    await run(makeCall(), b.next);
    vi.advanceTimersByTime(12_000);
    const calls = Array.from({ length: 5 }, () => makeCall());
    const answers = await Promise.all(calls.map((c) => run(c, b.next)));
    expect(answers.every((a) => (a as { version: number }).version === 1)).toBe(true);
    expect(calls[0]!.outcome).toEqual({ cache: 'stale', staleAge: 12 });
    await vi.runAllTimersAsync();
    expect(b.calls.count).toBe(2);
    expect(await run(makeCall(), b.next)).toEqual({ id: 'p1', version: 2 });
  });

  it('serves an entry within stale-if-error when the backend fails, and the error once it is too old', async () => {
    const { run } = stage(resolveCachePolicy({ ttl: 1, staleIfError: 60 }));
    const b = backend();
    await run(makeCall(), b.next);
    b.answerWith(async () => {
      throw new TransportError('unavailable', 'connection refused');
    });
    vi.advanceTimersByTime(30_000);
    const call = makeCall();
    expect(await run(call, b.next)).toEqual({ id: 'p1', version: 1 });
    expect(call.outcome).toEqual({ cache: 'stale', staleAge: 30 });
    vi.advanceTimersByTime(31_000);
    await expect(run(makeCall(), b.next)).rejects.toThrow('connection refused');
  });

  it('does not hide a request the backend refused (4xx) behind stale data', async () => {
    const { run } = stage(resolveCachePolicy({ ttl: 1, staleIfError: 60 }));
    const b = backend();
    await run(makeCall(), b.next);
    vi.advanceTimersByTime(2_000);
    b.answerWith(async () => {
      throw new TransportError('rejected', 'not found', { status: 404 });
    });
    await expect(run(makeCall(), b.next)).rejects.toThrow('not found');
  });

  it('never stores errors, and never caches GraphQL results that carry errors', async () => {
    const { run } = stage();
    const b = backend();
    b.answerWith(async () => ({ data: null, errors: [{ message: 'boom' }] }));
    await run(makeCall(), b.next);
    await run(makeCall(), b.next);
    expect(b.calls.count).toBe(2);
  });

  it('coalesces 50 concurrent identical calls into one upstream call', async () => {
    const { run } = stage(resolveCachePolicy({ ttl: 0, staleIfError: 60 }));
    const b = backend();
    let release!: () => void;
    b.answerWith(() => new Promise((resolve) => (release = () => resolve({ id: 'p1' }))));
    const pending = Array.from({ length: 50 }, () => run(makeCall(), b.next));
    await vi.advanceTimersByTimeAsync(0);
    release();
    expect(await Promise.all(pending)).toEqual(Array.from({ length: 50 }, () => ({ id: 'p1' })));
    expect(b.calls.count).toBe(1);
  });

  it('does not coalesce when dedupe is off for the source', async () => {
    const { run } = stage(resolveCachePolicy({ ttl: 0, staleIfError: 60 }), false);
    const b = backend();
    await Promise.all(Array.from({ length: 5 }, () => run(makeCall(), b.next)));
    expect(b.calls.count).toBe(5);
  });

  it('keeps private entries per caller', async () => {
    const { run } = stage();
    const b = backend();
    b.answerWith(async () => ({ owner: 'alice' }));
    await run(makeCall({ scopeKey: 'alice' }), b.next);
    b.answerWith(async () => ({ owner: 'bob' }));
    expect(await run(makeCall({ scopeKey: 'bob' }), b.next)).toEqual({ owner: 'bob' });
    expect(await run(makeCall({ scopeKey: 'alice' }), b.next)).toEqual({ owner: 'alice' });
  });

  it('goes live on a client no-cache, and a mutation purges the source\'s entries', async () => {
    const { run } = stage();
    const b = backend();
    await run(makeCall(), b.next);
    const bypass = makeCall({ bypassCache: true });
    expect(await run(bypass, b.next)).toEqual({ id: 'p1', version: 2 });
    expect(bypass.outcome.cache).toBe('bypass');
    await run(makeCall({ operation: { rootType: 'Mutation', fieldName: 'adjustStock', operationId: 'adjustStock', readOnly: false } }), b.next);
    expect(await run(makeCall(), b.next)).toEqual({ id: 'p1', version: 4 });
  });
});
