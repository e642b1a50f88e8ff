import type { Plugin } from 'graphql-yoga';
import type { GenerationSwap } from './generation-swap.js';

/**
 * Keeps a replaced generation open while requests still run on it. The request is pinned to its generation by
 * yoga's schema factory (`swap.pin`), and released here: when its response is ready, or, for a subscription or
 * an incremental result, when the stream ends.
 */
export function useGenerationHolds(swap: GenerationSwap<AsyncDisposable>): Plugin {
  const streaming = new WeakSet<object>();
  const holdUntilStreamEnds = (request: object) => {
    streaming.add(request);
    return { onEnd: () => swap.release(request) };
  };
  return {
    onSubscribe({ args }) {
      const request = (args.contextValue as { request?: object }).request;
      if (!request) return;
      return {
        onSubscribeResult({ result }) {
          if (Symbol.asyncIterator in result) return holdUntilStreamEnds(request);
          return undefined;
        },
      };
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: object }).request;
      if (!request) return;
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in result) return holdUntilStreamEnds(request);
          return undefined;
        },
      };
    },
    onResponse({ request }) {
      if (!streaming.has(request)) swap.release(request);
    },
  };
}
