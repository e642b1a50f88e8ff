/** When the primary of `serve --workers N` starts a new worker for one that exited. */
export interface RestartPolicyOptions {
  /** Wait before the first restart after a quick exit (ms); doubles with each quick exit in a row. Default 100. */
  minDelayMs?: number;
  /** Longest wait between restarts of one slot (ms). Default 30000. */
  maxDelayMs?: number;
  /** A worker that served this long (ms) before it exited was healthy: it is replaced at once. Default 30000. */
  stableMs?: number;
}

/** How a worker ended. */
export interface WorkerExit {
  /** It had said it was serving. */
  readonly wasReady: boolean;
  /** Milliseconds from its start to its exit. */
  readonly uptimeMs: number;
}

export interface RestartPolicy {
  /** Milliseconds to wait before starting the next worker of `slot`, one having just exited. */
  delayAfter(slot: number, exit: WorkerExit): number;
  /** A worker of `slot` said it is serving: its failures to start are forgotten. */
  ready(slot: number): void;
  /** How many workers of `slot` in a row exited before they were serving. */
  startFailures(slot: number): number;
}

/**
 * Back-off per worker slot: a worker that had served for `stableMs` is replaced at once; one that exits sooner
 * (a crash at start, or one that keeps crashing) is replaced after `minDelayMs`, doubling per quick exit in a row
 * up to `maxDelayMs`, so a worker that cannot run does not spin the machine.
 */
export function createRestartPolicy(options: RestartPolicyOptions = {}): RestartPolicy {
  const minDelayMs = options.minDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const stableMs = options.stableMs ?? 30_000;
  const quickExits = new Map<number, number>();
  const failedStarts = new Map<number, number>();
  return {
    delayAfter(slot, exit) {
      if (!exit.wasReady) failedStarts.set(slot, (failedStarts.get(slot) ?? 0) + 1);
      if (exit.wasReady && exit.uptimeMs >= stableMs) {
        quickExits.set(slot, 0);
        return 0;
      }
      const streak = (quickExits.get(slot) ?? 0) + 1;
      quickExits.set(slot, streak);
      return Math.min(maxDelayMs, minDelayMs * 2 ** (streak - 1));
    },
    ready(slot) {
      failedStarts.set(slot, 0);
    },
    startFailures: (slot) => failedStarts.get(slot) ?? 0,
  };
}
