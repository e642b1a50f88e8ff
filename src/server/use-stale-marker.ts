import type { Plugin } from 'graphql-yoga';
import { peekRequestState } from '../request/state.js';
import { useRequestExtension } from './use-request-extension.js';

/**
 * Puts what the pipeline recorded into the response: `extensions.stale: [{ source, path, age }]` for every
 * stale value served, and an RFC 9211 `Cache-Status` header with one entry per source the cache took part in.
 */
export function useStaleMarker(): Plugin {
  const staleExtension = useRequestExtension('stale', (state) =>
    state.stale.length === 0 ? undefined : state.stale.map((s) => ({ source: s.source, path: s.path, age: s.age })),
  );
  return {
    ...staleExtension,
    onResponse({ request, response }) {
      const state = peekRequestState(request);
      if (!state || state.cacheBySource.size === 0) return;
      const entries: string[] = [];
      for (const [source, outcome] of state.cacheBySource) entries.push(cacheStatusEntry(source, outcome));
      response.headers.set('cache-status', entries.join(', '));
    },
  };
}

function cacheStatusEntry(source: string, outcome: string): string {
  const name = `interchange-${source}`;
  switch (outcome) {
    case 'hit':
      return `${name}; hit`;
    case 'stale':
      return `${name}; hit; detail=stale`;
    case 'revalidated':
      return `${name}; fwd=stale; fwd-status=304`;
    case 'bypass':
      return `${name}; fwd=request`;
    default:
      return `${name}; fwd=miss`;
  }
}
