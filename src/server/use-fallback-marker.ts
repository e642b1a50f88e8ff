import type { Plugin } from 'graphql-yoga';
import { useRequestExtension } from './use-request-extension.js';

/**
 * Puts the fallbacks the pipeline served into the response: `extensions.fallback: [{ source, path, reason }]`,
 * one entry per field answered with its configured fallback value, `reason` being the error code the backend
 * call ended with (`SOURCE_UNAVAILABLE`, `SOURCE_TIMEOUT`, `CIRCUIT_OPEN`, `SOURCE_OVERLOADED`).
 */
export function useFallbackMarker(): Plugin {
  return useRequestExtension('fallback', (state) =>
    state.fallbacks.length === 0 ? undefined : state.fallbacks.map((f) => ({ source: f.source, path: f.path, reason: f.reason })),
  );
}
