import { codeOfTransportError } from './error-mapping.js';
import { isBackendFailure } from './failures.js';
import type { PipelineStage } from './stage.js';
import type { SourceCall, Stage } from './types.js';

export interface FallbackStageOptions {
  /** The configured fallback of the call's operation, wrapped so that `null` is a value; undefined: none. */
  fallbackFor: (call: SourceCall) => { readonly value: unknown } | undefined;
}

/**
 * The third rung of the ladder: when the backend failed (unavailable, timeout, circuit open, overloaded) and
 * the cache stage inside had no stale answer to give, the operation's configured `fallback` value is served.
 * The call's outcome records why, for `extensions.fallback`. A request the backend refused (4xx) is never
 * papered over.
 */
export function createFallbackStage(options: FallbackStageOptions): Stage {
  return async function fallbackStage(call, next) {
    try {
      return await next(call);
    } catch (error) {
      if (!isBackendFailure(error)) throw error;
      const fallback = options.fallbackFor(call);
      if (!fallback) throw error;
      call.outcome.fallback = codeOfTransportError(error);
      return structuredClone(fallback.value);
    }
  };
}

/** Present only on sources with at least one `operations.<field>.fallback`. */
export const fallbackStage: PipelineStage = {
  name: 'fallback',
  call({ source }) {
    const operations = Object.entries(source.operations ?? {}).filter(([, settings]) => 'fallback' in settings);
    if (operations.length === 0) return undefined;
    const byField = new Map(operations.map(([field, settings]) => [field, { value: settings.fallback }]));
    return createFallbackStage({ fallbackFor: (call) => byField.get(call.operation.fieldName) });
  },
};
