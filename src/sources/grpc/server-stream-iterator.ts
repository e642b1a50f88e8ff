import type { ClientReadableStream } from '@grpc/grpc-js';

/** Messages held before the HTTP/2 stream is paused, so a slow GraphQL client slows the backend instead of filling memory. */
const HIGH_WATER_MARK = 16;

export interface ServerStreamIteratorOptions {
  /** Aborting it cancels the call; see `onAbort`. */
  readonly signal: AbortSignal;
  /** What an abort means: an error to throw, or `undefined` to end the iteration quietly. */
  readonly onAbort: (reason: unknown) => unknown;
  /** Turns the stream's error (a non-OK status) into what the consumer sees. */
  readonly mapError: (error: unknown) => unknown;
}

/**
 * A hand-written iterator rather than an async generator: a generator's `return()` waits for a pending `next()`,
 * i.e. for the backend's next message, which may never come. Here `return()` and an abort settle a pending
 * `next()` at once and cancel the gRPC call. Messages are delivered in order; a failure is thrown only after the
 * messages that arrived before it.
 */
export function iterateServerStream(stream: ClientReadableStream<unknown>, options: ServerStreamIteratorOptions): AsyncIterableIterator<unknown> {
  const buffered: unknown[] = [];
  const waiting: { resolve: (result: IteratorResult<unknown>) => void; reject: (error: unknown) => void }[] = [];
  let failure: { error: unknown } | undefined;
  let ended = false;
  let closed = false;

  const settleWaiters = (): void => {
    while (waiting.length > 0 && (buffered.length > 0 || ended || closed)) {
      const waiter = waiting.shift()!;
      if (buffered.length > 0) waiter.resolve({ value: buffered.shift(), done: false });
      else if (failure !== undefined && !closed) {
        closed = true;
        waiter.reject(failure.error);
      } else waiter.resolve({ value: undefined, done: true });
    }
    if (buffered.length < HIGH_WATER_MARK && stream.isPaused() && !closed) stream.resume();
  };

  const close = (): void => {
    if (closed) return;
    closed = true;
    buffered.length = 0;
    options.signal.removeEventListener('abort', onAbort);
    // A no-op once the call has a status; otherwise the server sees the call cancelled.
    stream.cancel();
  };

  function onAbort(): void {
    const error = options.onAbort(options.signal.reason);
    close();
    for (const waiter of waiting.splice(0)) {
      if (error === undefined) waiter.resolve({ value: undefined, done: true });
      else waiter.reject(error);
    }
  }

  stream.on('data', function bufferMessage(message: unknown) {
    if (closed) return;
    buffered.push(message);
    if (buffered.length >= HIGH_WATER_MARK) stream.pause();
    settleWaiters();
  });
  // grpc-js emits 'error' for every non-OK status, our own cancel included: always listened to, or it would throw.
  stream.on('error', function recordFailure(error: unknown) {
    if (closed) return;
    failure = { error: options.mapError(error) };
    // The rest of what arrived before the status still flows, then 'end' follows.
    stream.resume();
  });
  stream.on('end', function endOfStream() {
    ended = true;
    options.signal.removeEventListener('abort', onAbort);
    settleWaiters();
  });

  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });

  return {
    next() {
      if (closed && buffered.length === 0) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        settleWaiters();
      });
    },
    async return() {
      close();
      for (const waiter of waiting.splice(0)) waiter.resolve({ value: undefined, done: true });
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
