import type { Plugin } from 'graphql-yoga';
import { requestStateOf, type RequestState } from '../request/state.js';

/**
 * Adds `extensions[name]` to a query's result from what the pipeline recorded in the request's state, when
 * `read` finds anything (`undefined`: nothing to add). Subscriptions' streams are left alone.
 */
export function useRequestExtension(name: string, read: (state: RequestState) => unknown): Plugin {
  return {
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          const value = read(requestStateOf(args.contextValue));
          if (value !== undefined) setResult({ ...result, extensions: { ...result.extensions, [name]: value } });
        },
      };
    },
  };
}
