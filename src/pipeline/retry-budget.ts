/**
 * A retry budget (Finagle's RetryBudget, Envoy's retry budget): retries may add at most `percent` of the live
 * calls of the last `windowMs`, plus `minPerSecond` × the window's seconds, so that under a steady failure
 * retries cannot multiply the load on a backend that is already in trouble. Counted in one-second buckets.
 */
export interface RetryBudget {
  /** A live call (a first attempt) was made. */
  deposit(): void;
  /** Takes one retry from the budget; false when it is spent. */
  tryWithdraw(): boolean;
}

export interface RetryBudgetOptions {
  /** Percent of live calls that may be retried. Default 10. */
  percent?: number;
  /** Retries per second always allowed. Default 5. */
  minPerSecond?: number;
  /** Milliseconds of history. Default 10000. */
  windowMs?: number;
  /** Injected for tests. Default Date.now. */
  now?: () => number;
}

const BUCKET_MS = 1_000;

export function createRetryBudget(options: RetryBudgetOptions = {}): RetryBudget & { settings(options: RetryBudgetOptions): void } {
  const now = options.now ?? Date.now;
  let percent = options.percent ?? 10;
  let minPerSecond = options.minPerSecond ?? 5;
  const buckets = Math.max(1, Math.round((options.windowMs ?? 10_000) / BUCKET_MS));
  const calls = new Array<number>(buckets).fill(0);
  const retries = new Array<number>(buckets).fill(0);
  let current = Math.floor(now() / BUCKET_MS);

  /** Moves to the bucket of now, clearing the ones that went by. */
  function advance(): number {
    const bucket = Math.floor(now() / BUCKET_MS);
    for (let b = current + 1; b <= bucket && b - current <= buckets; b++) {
      calls[b % buckets] = 0;
      retries[b % buckets] = 0;
    }
    current = Math.max(current, bucket);
    return current % buckets;
  }

  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

  return {
    deposit() {
      calls[advance()]!++;
    },
    tryWithdraw() {
      const index = advance();
      const allowed = (minPerSecond * buckets * BUCKET_MS) / 1000 + (sum(calls) * percent) / 100;
      if (sum(retries) + 1 > allowed) return false;
      retries[index]!++;
      return true;
    },
    /** A reload may change the percentages; the counts carry on. */
    settings(next) {
      percent = next.percent ?? 10;
      minPerSecond = next.minPerSecond ?? 5;
    },
  };
}
