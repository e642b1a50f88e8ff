import type { Plugin } from 'graphql-yoga';

export interface StreamShutdown {
  readonly plugin: Plugin;
  /** Ends every open subscription stream cleanly (SSE: a `complete` event), and every one opened from now on. */
  closeAll(): void;
}

/**
 * Subscriptions end cleanly on shutdown: each stream's result is wrapped so that `closeAll` finishes it (the
 * backend stream is returned, the client gets the end of the stream) instead of having its socket cut when the
 * shutdown timeout runs out.
 */
export function createStreamShutdown(): StreamShutdown {
  let close!: () => void;
  const closed = new Promise<void>((resolve) => (close = resolve));
  let closing = false;
  return {
    plugin: {
      onSubscribe() {
        return {
          onSubscribeResult({ result, setResult }) {
            if (Symbol.asyncIterator in result) setResult(endable(result, closed, () => closing));
          },
        };
      },
    },
    closeAll() {
      closing = true;
      close();
    },
  };
}

function endable<T>(source: AsyncIterable<T>, closed: Promise<void>, isClosed: () => boolean): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const end = closed.then((): IteratorResult<T> => ({ done: true, value: undefined }));
  let finished = false;
  // Not awaited: an async generator's return() waits for its pending next(), i.e. for the backend's next message.
  const finish = async () => {
    if (finished) return;
    finished = true;
    void iterator.return?.()?.catch(() => undefined);
  };
  return {
    async next() {
      if (finished || isClosed()) {
        await finish();
        return { done: true, value: undefined };
      }
      const result = await Promise.race([iterator.next(), end]);
      if (result.done) await finish();
      return result;
    },
    async return(value?: unknown) {
      await finish();
      return { done: true, value: value as T };
    },
    async throw(error?: unknown) {
      finished = true;
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
