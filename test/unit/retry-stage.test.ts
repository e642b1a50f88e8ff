import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRetryBudget } from '../../src/pipeline/retry-budget.js';
import { createRetryStage, retrySettingsOf, type RetryStageOptions } from '../../src/pipeline/retry.js';
import type { SourceCall } from '../../src/pipeline/types.js';
import { TransportError, type OperationSpec } from '../../src/sources/types.js';
import { sourceCall } from '../helpers/source-call.js';

const mutation: OperationSpec = { rootType: 'Mutation', fieldName: 'adjustStock', operationId: 'adjustStock', readOnly: false };

const unavailable = () => new TransportError('unavailable', 'HTTP 503', { status: 503 });
const timedOut = () => new TransportError('timeout', 'no answer', { timeoutMs: 100 });

/** A `next` that fails with the queued errors in turn, then answers; it records each attempt and the replicas tried before it. */
function scripted(...failures: (TransportError | Error)[]) {
  const attempts: { at: number; tried: string[] }[] = [];
  const next = async (call: SourceCall) => {
    attempts.push({ at: Date.now(), tried: [...(call.tried ?? [])] });
    call.tried?.add(`replica-${attempts.length}`);
    const failure = failures.shift();
    if (failure) throw failure;
    return 'answer';
  };
  return { next, attempts };
}

function stage(overrides: Partial<RetryStageOptions> = {}, settings: Parameters<typeof retrySettingsOf>[0] = {}) {
  return createRetryStage({
    settings: retrySettingsOf({ baseDelayMs: 100, maxDelayMs: 1_000, ...settings }),
    budget: createRetryBudget({ percent: 10, minPerSecond: 100 }),
    replicaCount: 2,
    isIdempotent: (call) => call.operation.readOnly,
    random: () => 1, // the full back-off, so waits are exact
    ...overrides,
  });
}

describe('the retry stage', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 0 }));
  afterEach(() => void vi.useRealTimers());

  it('retries a read after a backend failure, with exponential back-off, on another replica each time', async () => {
    const { next, attempts } = scripted(unavailable(), unavailable());
    const answer = stage()(sourceCall(), next);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await answer).toBe('answer');
    expect(attempts).toEqual([
      { at: 0, tried: [] },
      { at: 100, tried: ['replica-1'] },
      { at: 300, tried: ['replica-1', 'replica-2'] },
    ]);
  });

  it('waits a random share of the back-off (full jitter)', async () => {
    const { next, attempts } = scripted(unavailable());
    const answer = stage({ random: () => 0.25 })(sourceCall(), next);
    await vi.advanceTimersByTimeAsync(1_000);
    await answer;
    expect(attempts.map((a) => a.at)).toEqual([0, 25]);
  });

  it('gives up after `attempts` retries with the last error', async () => {
    const { next, attempts } = scripted(unavailable(), unavailable(), unavailable(), unavailable());
    const answer = stage()(sourceCall(), next).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await answer).toMatchObject({ failure: 'unavailable' });
    expect(attempts).toHaveLength(3);
  });

  it('never retries a mutation after it may have run, unless configured; always when it was never sent', async () => {
    const answered = scripted(unavailable());
    await expect(stage()(sourceCall({ operation: mutation }), answered.next)).rejects.toMatchObject({ details: { status: 503 } });
    expect(answered.attempts).toHaveLength(1);

    const refused = scripted(new TransportError('unavailable', 'ECONNREFUSED', {}, { notSent: true }));
    const first = stage()(sourceCall({ operation: mutation }), refused.next);
    await vi.advanceTimersByTimeAsync(100);
    expect(await first).toBe('answer');

    const configured = scripted(unavailable());
    const second = stage({}, { mutations: true })(sourceCall({ operation: mutation }), configured.next);
    await vi.advanceTimersByTimeAsync(100);
    expect(await second).toBe('answer');

    const marked = scripted(unavailable());
    const third = stage({ isIdempotent: () => true })(sourceCall({ operation: mutation }), marked.next);
    await vi.advanceTimersByTimeAsync(100);
    expect(await third).toBe('answer');
  });

  it('does not retry what the backend refused (4xx) or a bad body', async () => {
    for (const error of [new TransportError('rejected', 'HTTP 404', { status: 404 }), new TransportError('bad-response', 'not JSON')]) {
      const { next, attempts } = scripted(error);
      await expect(stage()(sourceCall(), next)).rejects.toBe(error);
      expect(attempts).toHaveLength(1);
    }
  });

  it('retries a timeout only on a replica this call has not tried', async () => {
    const twoReplicas = scripted(timedOut());
    const answer = stage({ replicaCount: 2 })(sourceCall(), twoReplicas.next);
    await vi.advanceTimersByTimeAsync(100);
    expect(await answer).toBe('answer');
    const oneReplica = scripted(timedOut());
    await expect(stage({ replicaCount: 1 })(sourceCall(), oneReplica.next)).rejects.toMatchObject({ failure: 'timeout' });
    expect(oneReplica.attempts).toHaveLength(1);
  });

  it('honours Retry-After on a 429 or 503 when it is longer than the back-off, and gives up on one beyond maxRetryAfterMs', async () => {
    const tooMany = new TransportError('rejected', 'HTTP 429', { status: 429 }, { retryAfterMs: 2_000 });
    const { next, attempts } = scripted(tooMany);
    const answer = stage()(sourceCall(), next);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await answer).toBe('answer');
    expect(attempts.map((a) => a.at)).toEqual([0, 2_000]);

    const later = scripted(new TransportError('unavailable', 'HTTP 503', { status: 503 }, { retryAfterMs: 60_000 }));
    await expect(stage({}, { maxRetryAfterMs: 5_000 })(sourceCall(), later.next)).rejects.toMatchObject({ retryAfterMs: 60_000 });
    expect(later.attempts).toHaveLength(1);
  });

  it('does not start a retry whose wait would outlast the request budget', async () => {
    const { next, attempts } = scripted(unavailable(), unavailable());
    const answer = stage()(sourceCall({ requestDeadline: 250 }), next).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await answer).toMatchObject({ failure: 'unavailable' });
    expect(attempts.map((a) => a.at)).toEqual([0, 100]); // the second retry would start at 300, past 250
  });

  it('stops waiting when the client goes away', async () => {
    const client = new AbortController();
    const { next, attempts } = scripted(unavailable());
    const answer = stage()(sourceCall({ signal: client.signal }), next).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(50);
    client.abort(new Error('client closed'));
    expect(await answer).toMatchObject({ failure: 'unavailable' });
    expect(attempts).toHaveLength(1);
  });

  it('caps retries by the budget under a steady failure: 10 % of the calls plus the floor', async () => {
    const budget = createRetryBudget({ percent: 10, minPerSecond: 0.5 }); // floor: 5 retries per 10 s window
    const retry = stage({ budget }, { attempts: 1, baseDelayMs: 0 });
    let attempts = 0;
    const failing = async () => {
      attempts++;
      throw unavailable();
    };
    for (let i = 0; i < 100; i++) await retry(sourceCall(), failing).catch(() => undefined);
    // 100 calls: 5 (floor) + 10 (10 %) retries at most, not 100.
    expect(attempts - 100).toBe(15);
  });
});

describe('hedging', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 0 }));
  afterEach(() => void vi.useRealTimers());

  it('sends a second attempt after hedgeAfterMs; the first answer wins and the other is cancelled', async () => {
    const signals: AbortSignal[] = [];
    const next = (call: SourceCall) => {
      signals.push(call.signal);
      const index = signals.length;
      return new Promise((resolve, reject) => {
        // The first attempt hangs; the hedge answers 10 ms after it started.
        if (index === 2) setTimeout(() => resolve('from the hedge'), 10);
        call.signal.addEventListener('abort', () => reject(call.signal.reason));
      });
    };
    const answer = stage({}, { hedgeAfterMs: 50 })(sourceCall(), next);
    await vi.advanceTimersByTimeAsync(49);
    expect(signals).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(11);
    expect(await answer).toBe('from the hedge');
    expect(signals).toHaveLength(2);
    expect(signals[0]!.aborted).toBe(true);
  });

  it('sends no hedge when the first attempt answers in time, and none for a mutation', async () => {
    const calls: SourceCall[] = [];
    const quick = async (call: SourceCall) => {
      calls.push(call);
      return 'quick';
    };
    expect(await stage({}, { hedgeAfterMs: 50 })(sourceCall(), quick)).toBe('quick');
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toHaveLength(1);
    let slow = 0;
    const answer = stage({}, { hedgeAfterMs: 50 })(sourceCall({ operation: mutation }), () => {
      slow++;
      return new Promise((resolve) => setTimeout(() => resolve('late'), 200));
    });
    await vi.advanceTimersByTimeAsync(200);
    expect(await answer).toBe('late');
    expect(slow).toBe(1);
  });

  it('sends no hedge when no replica this call has not tried is free, and draws nothing from the budget for it', async () => {
    const budget = createRetryBudget({ percent: 0, minPerSecond: 0.1 }); // one retry in the 10 s window
    const asked: string[][] = [];
    let free = false;
    let attempts = 0;
    const slow = (call: SourceCall) => {
      const attempt = ++attempts;
      call.tried?.add(`replica-${attempt}`);
      return new Promise((resolve) => setTimeout(() => resolve(`slow ${attempt}`), 100));
    };
    const hedging = stage({ budget, hasFreeReplica: (_call, tried) => (asked.push([...tried]), free) }, { hedgeAfterMs: 50 });
    const answer = hedging(sourceCall(), slow);
    await vi.advanceTimersByTimeAsync(100);
    expect(await answer).toBe('slow 1');
    expect(attempts).toBe(1);
    // Asked once, when the hedge was due, with the replica the first attempt took.
    expect(asked).toEqual([['replica-1']]);
    // The budget's one retry is still there for a hedge once a replica is free.
    free = true;
    const second = hedging(sourceCall(), slow);
    await vi.advanceTimersByTimeAsync(100);
    // Its first attempt (the second call) answers at 100 ms, before the hedge (the third) sent at 50 ms.
    expect(await second).toBe('slow 2');
    expect(attempts).toBe(3);
  });

  it('by default hedges only while a replica is left untried', async () => {
    let attempts = 0;
    const answer = stage({ replicaCount: 1 }, { hedgeAfterMs: 50 })(sourceCall(), (call) => {
      call.tried?.add(`replica-${++attempts}`);
      return new Promise((resolve) => setTimeout(() => resolve('slow'), 100));
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(await answer).toBe('slow');
    expect(attempts).toBe(1);
  });

  it('draws hedges from the retry budget', async () => {
    const budget = createRetryBudget({ percent: 0, minPerSecond: 0 });
    let attempts = 0;
    const answer = stage({ budget }, { hedgeAfterMs: 50 })(sourceCall(), () => {
      attempts++;
      return new Promise((resolve) => setTimeout(() => resolve('slow'), 100));
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(await answer).toBe('slow');
    expect(attempts).toBe(1);
  });
});
