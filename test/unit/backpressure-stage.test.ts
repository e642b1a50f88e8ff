import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBackpressureStage, createConcurrencyLimiter } from '../../src/pipeline/backpressure.js';
import { sourceCall } from '../helpers/source-call.js';

/** A `next` whose calls stay pending until released, counting how many started. */
function heldBackend() {
  const releases: (() => void)[] = [];
  const state = { started: 0 };
  const next = () => {
    state.started++;
    return new Promise<unknown>((resolve) => releases.push(() => resolve('ok')));
  };
  return Object.assign(state, { next, releaseOne: () => releases.shift()?.() });
}

describe('the backpressure stage', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 0 }));
  afterEach(() => void vi.useRealTimers());

  it('lets maxInFlight calls through, queues maxQueued, and refuses the next at once with SOURCE_OVERLOADED', async () => {
    const counts: [number, number][] = [];
    const limiter = createConcurrencyLimiter({ maxInFlight: 2, maxQueued: 1 }, (inFlight, queued) => counts.push([inFlight, queued]));
    const stage = createBackpressureStage(limiter);
    const b = heldBackend();
    const calls = [stage(sourceCall(), b.next), stage(sourceCall(), b.next), stage(sourceCall(), b.next)];
    await vi.advanceTimersByTimeAsync(0);
    expect(b.started).toBe(2);
    expect([limiter.inFlight, limiter.queued]).toEqual([2, 1]);
    await expect(stage(sourceCall(), b.next)).rejects.toMatchObject({ failure: 'unavailable', code: 'SOURCE_OVERLOADED' });
    // A slot frees: the queued call takes it, in order.
    b.releaseOne();
    await vi.advanceTimersByTimeAsync(0);
    expect(b.started).toBe(3);
    b.releaseOne();
    b.releaseOne();
    expect(await Promise.all(calls)).toEqual(['ok', 'ok', 'ok']);
    expect([limiter.inFlight, limiter.queued]).toEqual([0, 0]);
    expect(counts.at(-1)).toEqual([0, 0]);
  });

  it('a queued call leaves the queue when its client goes away or its request runs out of time', async () => {
    const limiter = createConcurrencyLimiter({ maxInFlight: 1, maxQueued: 5 });
    const stage = createBackpressureStage(limiter);
    const b = heldBackend();
    const running = stage(sourceCall(), b.next);
    const client = new AbortController();
    const gone = stage(sourceCall({ signal: client.signal }), b.next).catch((error: unknown) => error);
    const late = stage(sourceCall({ requestDeadline: 1_000 }), b.next).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(0);
    expect(limiter.queued).toBe(2);
    client.abort(new Error('client closed'));
    expect(await gone).toMatchObject({ message: 'client closed' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await late).toMatchObject({ failure: 'timeout', code: 'SOURCE_OVERLOADED' });
    expect(limiter.queued).toBe(0);
    b.releaseOne();
    expect(await running).toBe('ok');
    expect(b.started).toBe(1);
  });
});
