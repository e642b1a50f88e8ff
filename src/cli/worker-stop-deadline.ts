/** How long a worker's graceful stop may take: `server.shutdownGraceMs` and `server.shutdownTimeoutMs`, as it has them. */
export interface WorkerShutdown {
  readonly graceMs: number;
  readonly timeoutMs: number;
}

export interface StopDeadlineOptions {
  /** What the primary read of the config at start: a worker that has not said what it uses is given this. */
  initial: WorkerShutdown;
  /** Slots 1..count. */
  count: number;
  /** Beyond the longest stop a worker may take, before the stuck ones are killed (ms). Default 10000. */
  marginMs?: number;
  /** Called once the deadline passes while stopping. */
  onExpire: () => void;
}

export interface StopDeadline {
  /** What the worker of `slot` uses now: at start, and the grace it actually waits once its stop began. */
  report(slot: number, shutdown: WorkerShutdown): void;
  /** The stop began with `signal` (SIGINT has no grace). */
  start(signal: NodeJS.Signals): void;
  cancel(): void;
  /** Milliseconds from the start of the stop to the kill, as known now. */
  readonly killAfterMs: number;
}

/**
 * The primary's bound on the workers' graceful stop, after which the ones still running are killed so the
 * primary does exit. A worker's grace can change on a config reload, so the bound is the largest of what each
 * worker last said it uses (in its `ready` and when its stop begins), not what the primary read at start;
 * a report that arrives once the stop began moves the deadline later when it is longer.
 */
export function createStopDeadline(options: StopDeadlineOptions): StopDeadline {
  const marginMs = options.marginMs ?? 10_000;
  const reported = new Map<number, WorkerShutdown>();
  let signal: NodeJS.Signals | undefined;
  let startedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let done = false;

  const boundMs = () => {
    let longest = 0;
    for (let slot = 1; slot <= options.count; slot++) {
      const { graceMs, timeoutMs } = reported.get(slot) ?? options.initial;
      longest = Math.max(longest, (signal === 'SIGINT' ? 0 : graceMs) + timeoutMs);
    }
    return longest + marginMs;
  };
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => {
        done = true;
        options.onExpire();
      },
      Math.max(0, startedAt + boundMs() - Date.now()),
    );
    timer.unref();
  };

  return {
    report(slot, shutdown) {
      reported.set(slot, shutdown);
      if (signal && !done) arm();
    },
    start(by) {
      if (signal) return;
      signal = by;
      startedAt = Date.now();
      arm();
    },
    cancel() {
      done = true;
      clearTimeout(timer);
    },
    get killAfterMs() {
      return boundMs();
    },
  };
}
