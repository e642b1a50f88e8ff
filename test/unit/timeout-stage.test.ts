import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { countsAgainstBackend } from '../../src/pipeline/failures.js';
import { createTimeoutStage } from '../../src/pipeline/timeout.js';
import type { SourceCall } from '../../src/pipeline/types.js';
import { isDeadlineReason } from '../../src/sources/call-failure.js';
import { sourceCall } from '../helpers/source-call.js';

function call(signal = new AbortController().signal): SourceCall {
  return sourceCall({ source: 'logistics', signal });
}

describe('the timeout stage', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-29T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const stage = createTimeoutStage({ timeoutMs: () => 2_000 });

  it('passes a deadline down and the answer up when the backend is in time', async () => {
    let seen: SourceCall | undefined;
    const answer = stage(call(), async (c) => {
      seen = c;
      return 'ok';
    });
    expect(await answer).toBe('ok');
    expect(seen!.deadline).toBe(Date.parse('2026-11-29T00:00:02Z'));
    await vi.advanceTimersByTimeAsync(0); // lets the settled promise's clean-up run
    expect(vi.getTimerCount()).toBe(0); // the deadline timer is cleared, not left to fire
  });

  it('rejects with a timeout at the deadline, and aborts the call below with a deadline reason', async () => {
    let inner: AbortSignal | undefined;
    const answer = stage(call(), (c) => {
      inner = c.signal;
      return new Promise(() => undefined); // a transport that ignores its signal
    });
    const outcome = answer.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(inner!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toMatchObject({ name: 'TransportError', failure: 'timeout', details: { timeoutMs: 2_000 } });
    expect(inner!.aborted).toBe(true);
    expect(isDeadlineReason(inner!.reason)).toBe(true);
  });

  it('passes the client going away down as the client\'s reason, not a deadline', async () => {
    const client = new AbortController();
    let inner: AbortSignal | undefined;
    void stage(call(client.signal), (c) => {
      inner = c.signal;
      return new Promise(() => undefined);
    }).catch(() => undefined);
    client.abort(new Error('client closed'));
    expect(inner!.aborted).toBe(true);
    expect(isDeadlineReason(inner!.reason)).toBe(false);
  });

  it('adds one listener to the client\'s signal however many calls of one request wait on it', async () => {
    const client = new AbortController();
    const add = vi.spyOn(client.signal, 'addEventListener');
    const calls = Array.from({ length: 20 }, () => stage(call(client.signal), () => new Promise(() => undefined)).catch((error: unknown) => error));
    expect(add).toHaveBeenCalledTimes(1);
    client.abort(new Error('client closed'));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await Promise.all(calls)).toHaveLength(20);
  });

  it('gives a call no more than what is left of the request budget, and none when it is spent', async () => {
    let seen: SourceCall | undefined;
    const requestDeadline = Date.parse('2026-11-29T00:00:00.500Z');
    const answer = stage(sourceCall({ requestDeadline }), (c) => {
      seen = c;
      return new Promise(() => undefined);
    }).catch((error: unknown) => error);
    expect(seen!.deadline).toBe(requestDeadline);
    await vi.advanceTimersByTimeAsync(500);
    expect(await answer).toMatchObject({ failure: 'timeout', details: { timeoutMs: 500 } });
    let called = false;
    const spent = stage(sourceCall({ requestDeadline }), async () => (called = true));
    await expect(spent).rejects.toMatchObject({ failure: 'timeout', details: { timeoutMs: 0 } });
    expect(called).toBe(false);
  });

  it('marks a timeout of the request\'s budget as the budget\'s, which no breaker or health count, and its own timeout as the backend\'s (finding 2)', async () => {
    const requestDeadline = Date.parse('2026-11-29T00:00:00.500Z');
    let seen: SourceCall | undefined;
    const cut = stage(sourceCall({ requestDeadline }), (c) => {
      seen = c;
      return new Promise(() => undefined);
    }).catch((error: unknown) => error);
    expect(seen!.deadlineByBudget).toBe(true); // 500 ms left of the budget, less than its own 2000
    await vi.advanceTimersByTimeAsync(500);
    const cutShort = await cut;
    expect(cutShort).toMatchObject({ failure: 'timeout', byBudget: true, details: { timeoutMs: 500 } });
    expect(countsAgainstBackend(cutShort)).toBe(false);
    const spent = await stage(sourceCall({ requestDeadline }), async () => 'never called').catch((error: unknown) => error);
    expect(spent).toMatchObject({ failure: 'timeout', byBudget: true });
    expect(countsAgainstBackend(spent)).toBe(false);

    const own = stage(sourceCall({ requestDeadline: Date.now() + 10_000 }), (c) => {
      seen = c;
      return new Promise(() => undefined);
    }).catch((error: unknown) => error);
    expect(seen!.deadlineByBudget).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2_000);
    const slow = await own;
    expect(slow).toMatchObject({ failure: 'timeout', byBudget: false, details: { timeoutMs: 2_000 } });
    expect(countsAgainstBackend(slow)).toBe(true);
  });
});
