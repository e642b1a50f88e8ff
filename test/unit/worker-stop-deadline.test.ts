import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStopDeadline } from '../../src/cli/worker-stop-deadline.js';

describe('the primary\'s deadline on the workers\' graceful stop', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 0 }));
  afterEach(() => void vi.useRealTimers());

  const deadline = (initial = { graceMs: 0, timeoutMs: 1000 }) => {
    const expired: number[] = [];
    const stop = createStopDeadline({ initial, count: 2, marginMs: 10_000, onExpire: () => expired.push(Date.now()) });
    return { stop, expired };
  };

  it('waits for the longest grace a worker says it has after a reload, not the one the primary read at start', async () => {
    const { stop, expired } = deadline();
    // Started with grace 0 and timeout 1000; the file was edited to grace 20000 and the workers reloaded.
    stop.report(1, { graceMs: 20_000, timeoutMs: 1000 });
    stop.report(2, { graceMs: 0, timeoutMs: 1000 });
    stop.start('SIGTERM');
    expect(stop.killAfterMs).toBe(31_000);
    await vi.advanceTimersByTimeAsync(30_999);
    expect(expired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual([31_000]);
  });

  it('moves the deadline later when a worker says at its stop that it waits longer', async () => {
    const { stop, expired } = deadline();
    stop.start('SIGTERM');
    expect(stop.killAfterMs).toBe(11_000);
    await vi.advanceTimersByTimeAsync(5000);
    stop.report(2, { graceMs: 20_000, timeoutMs: 1000 });
    await vi.advanceTimersByTimeAsync(25_999);
    expect(expired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual([31_000]);
  });

  it('counts no grace on SIGINT, uses the primary\'s values for a worker that said nothing, and fires nothing once cancelled', async () => {
    const { stop, expired } = deadline({ graceMs: 5000, timeoutMs: 2000 });
    stop.report(1, { graceMs: 60_000, timeoutMs: 1000 });
    stop.start('SIGINT');
    expect(stop.killAfterMs).toBe(12_000); // worker 2: the start's timeout 2000
    stop.cancel();
    await vi.advanceTimersByTimeAsync(100_000);
    expect(expired).toEqual([]);
  });
});
