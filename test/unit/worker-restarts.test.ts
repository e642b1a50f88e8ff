import { describe, expect, it } from 'vitest';
import { createRestartPolicy } from '../../src/cli/worker-restarts.js';

describe('restarting the workers of serve --workers N', () => {
  it('replaces a worker that had served a while at once, and backs off on quick exits in a row, per slot, up to the maximum', () => {
    const policy = createRestartPolicy({ minDelayMs: 100, maxDelayMs: 1_000, stableMs: 30_000 });
    expect(policy.delayAfter(1, { wasReady: true, uptimeMs: 3_600_000 })).toBe(0);
    const quick = { wasReady: true, uptimeMs: 2_000 };
    expect([1, 2, 3, 4, 5, 6].map(() => policy.delayAfter(1, quick))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    // Another slot has its own streak.
    expect(policy.delayAfter(2, quick)).toBe(100);
    // One that served long enough again starts the streak over.
    expect(policy.delayAfter(1, { wasReady: true, uptimeMs: 30_000 })).toBe(0);
    expect(policy.delayAfter(1, quick)).toBe(100);
  });

  it('counts the failures to start in a row, which a worker that serves forgets', () => {
    const policy = createRestartPolicy();
    const crashAtStart = { wasReady: false, uptimeMs: 500 };
    policy.delayAfter(1, crashAtStart);
    policy.delayAfter(1, crashAtStart);
    expect(policy.startFailures(1)).toBe(2);
    expect(policy.startFailures(2)).toBe(0);
    // A worker that served and then crashed quickly is not a failure to start.
    policy.delayAfter(1, { wasReady: true, uptimeMs: 500 });
    expect(policy.startFailures(1)).toBe(2);
    policy.ready(1);
    expect(policy.startFailures(1)).toBe(0);
  });
});
