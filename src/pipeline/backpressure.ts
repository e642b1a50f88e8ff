import type { BackpressureConfig } from '../sources/resilience-config.js';
import { TransportError } from '../sources/types.js';
import type { PipelineStage } from './stage.js';
import type { SourceCall, Stage } from './types.js';

export interface BackpressureSettings {
  /** Calls in flight at once. Default 256. */
  readonly maxInFlight: number;
  /** Calls waiting for a slot. Default 64. */
  readonly maxQueued: number;
}

export function backpressureSettingsOf(config: BackpressureConfig | undefined): BackpressureSettings {
  return { maxInFlight: config?.maxInFlight ?? 256, maxQueued: config?.maxQueued ?? 64 };
}

/** Slots of one source, shared by its generations (retained): calls of a replaced generation still hold theirs. */
export interface ConcurrencyLimiter {
  /** Takes a slot, waiting in the queue if need be; rejects at once with SOURCE_OVERLOADED when the queue is full. */
  acquire(call: SourceCall): Promise<void>;
  release(): void;
  settings: BackpressureSettings;
  readonly inFlight: number;
  readonly queued: number;
}

interface Waiter {
  readonly grant: () => void;
}

/**
 * A counting semaphore with a bounded FIFO queue. Written here rather than with p-limit because a waiting call
 * must be able to leave the queue when its client goes away or its request runs out of time, and p-limit can
 * only clear its whole queue. `onChange` reports the counts (metrics).
 */
export function createConcurrencyLimiter(
  settings: BackpressureSettings,
  onChange: (inFlight: number, queued: number) => void = () => {},
  onOverload: () => void = () => {},
): ConcurrencyLimiter {
  let inFlight = 0;
  const queue: Waiter[] = [];
  const limiter: ConcurrencyLimiter = {
    settings,
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return queue.length;
    },
    acquire(call) {
      if (inFlight < limiter.settings.maxInFlight) {
        inFlight++;
        onChange(inFlight, queue.length);
        return Promise.resolve();
      }
      if (queue.length >= limiter.settings.maxQueued) {
        onOverload();
        return Promise.reject(
          new TransportError('unavailable', `${call.source}: ${inFlight} calls in flight and ${queue.length} waiting, the most it takes`, {}, { code: 'SOURCE_OVERLOADED' }),
        );
      }
      // A signal following the client's, so that waiting calls of one request add no listeners to its own signal.
      const signal = AbortSignal.any([call.signal]);
      return new Promise<void>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const leave = (reason: unknown) => {
          const index = queue.indexOf(waiter);
          if (index >= 0) queue.splice(index, 1);
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          onChange(inFlight, queue.length);
          reject(reason);
        };
        const onAbort = () => leave(signal.reason);
        const waiter: Waiter = {
          grant() {
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        queue.push(waiter);
        onChange(inFlight, queue.length);
        signal.addEventListener('abort', onAbort, { once: true });
        if (call.requestDeadline !== undefined) {
          timer = setTimeout(
            () => leave(new TransportError('timeout', `${call.source}: waited for a free slot until the request ran out of time`, {}, { code: 'SOURCE_OVERLOADED' })),
            Math.max(0, call.requestDeadline - Date.now()),
          );
        }
      });
    },
    release() {
      // The slot passes straight to the first waiter: the count in flight stays the same.
      const next = queue.shift();
      if (next) next.grant();
      else inFlight--;
      onChange(inFlight, queue.length);
    },
  };
  return limiter;
}

/** Holds a slot of the source for the whole call (its retries included). */
export function createBackpressureStage(limiter: ConcurrencyLimiter): Stage {
  return async function backpressureStage(call, next) {
    await limiter.acquire(call);
    try {
      return await next(call);
    } finally {
      limiter.release();
    }
  };
}

/**
 * `backpressure:` of the source. Inside the breaker, so an open breaker fails fast without taking a slot; its
 * SOURCE_OVERLOADED errors are the gateway's own and do not count against the backend there. Streams are not
 * limited: they are long-lived and each holds one HTTP/2 stream, not a pending call.
 */
export const backpressureStage: PipelineStage = {
  name: 'backpressure',
  call(context) {
    const settings = backpressureSettingsOf(context.source.backpressure);
    const source = context.source.name;
    const metrics = context.metrics.resilience;
    const limiter = context.retain('limiter', () => {
      const created = createConcurrencyLimiter(settings, undefined, () => metrics.overloaded.inc({ source }));
      const untrack = metrics.trackConcurrency(source, () => ({ inFlight: created.inFlight, queued: created.queued }));
      return Object.assign(created, { [Symbol.dispose]: untrack });
    });
    // The slots are shared with the generation serving now: new limits apply once this one goes live.
    context.onCommit(() => (limiter.settings = settings));
    return createBackpressureStage(limiter);
  },
};
