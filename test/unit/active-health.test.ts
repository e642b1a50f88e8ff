import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { activeHealthSettingsOf, startActiveHealth } from '../../src/pipeline/active-health.js';
import { createReplicaPool } from '../../src/pipeline/replicas.js';
import type { Transport } from '../../src/sources/types.js';
import { sourceCall } from '../helpers/source-call.js';

describe('active health checks', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 0 }));
  afterEach(() => void vi.useRealTimers());

  const transport: Transport = { call: async (endpoint) => endpoint, async [Symbol.asyncDispose]() {} };
  const settings = activeHealthSettingsOf({ active: { path: '/healthz', intervalMs: 1_000, timeoutMs: 200, unhealthyAfter: 2, healthyAfter: 2 } })!;

  it('polls every replica on the interval; failing twice in a row takes one out, passing twice brings it back', async () => {
    const pool = createReplicaPool({ replicas: ['a', 'b'], transport, balance: 'round-robin' });
    const healthy = new Set(['a', 'b']);
    const checked: string[] = [];
    using _checker = startActiveHealth({
      pool,
      settings,
      check: async (url, check) => {
        checked.push(`${url}${check.path}`);
        if (!healthy.has(url)) throw new Error('503');
      },
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(checked).toEqual(['a/healthz', 'b/healthz']);
    healthy.delete('a');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pool.status()[0]!.condition).toBe('up'); // one failure: not yet
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pool.status()[0]).toMatchObject({ condition: 'unhealthy', activeHealthy: false });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await pool.call(sourceCall()));
    expect(answers).toEqual(['b', 'b', 'b', 'b']);
    healthy.add('a');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pool.status()[0]!.condition).toBe('unhealthy');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pool.status()[0]!.condition).toBe('up');
  });

  it('fails a check that takes longer than timeoutMs, aborting it, and never runs two checks of a replica at once', async () => {
    const pool = createReplicaPool({ replicas: ['a'], transport });
    let started = 0;
    const aborted: unknown[] = [];
    const checker = startActiveHealth({
      pool,
      settings: { ...settings, unhealthyAfter: 1, intervalMs: 100 },
      check: (_url, _check, signal) => {
        started++;
        return new Promise((_, reject) => signal.addEventListener('abort', () => (aborted.push(signal.reason), reject(signal.reason))));
      },
    });
    await vi.advanceTimersByTimeAsync(150);
    expect(started).toBe(1); // the round at 100 ms found the first check still running
    await vi.advanceTimersByTimeAsync(50);
    expect(aborted).toHaveLength(1);
    expect(pool.status()[0]!.condition).toBe('unhealthy');
    checker[Symbol.dispose]();
    const before = started;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(started).toBe(before);
  });

  it('is off unless configured, and takes the defaults', () => {
    expect(activeHealthSettingsOf(undefined)).toBeUndefined();
    expect(activeHealthSettingsOf({ active: {} })).toEqual({ check: { service: '' }, intervalMs: 10_000, timeoutMs: 2_000, unhealthyAfter: 2, healthyAfter: 1 });
  });
});
