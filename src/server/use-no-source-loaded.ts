import type { Plugin } from 'graphql-yoga';
import { createGatewayError } from '../errors.js';

/** What the plugin needs of the generation a request runs on. */
export interface LoadedSourcesView {
  /** The sources whose schema loaded. */
  readonly sources: { readonly size: number };
  /** The sources left out until their schema loads (retried in the background). */
  readonly missing: readonly { readonly name: string }[];
}

/** Seconds a client is asked to wait before trying again while no source has loaded. */
const RETRY_AFTER_SECONDS = 5;

/**
 * A gateway whose every source is left out (their backends were down at start, with no snapshot) has no Query
 * type: graphql-js refuses such a schema, and yoga answered every request 500 "Unexpected error.". Instead a
 * GraphQL request gets 503 with `NO_SOURCE_LOADED` (a code of its own: `SOURCE_UNAVAILABLE` is one field's, with
 * HTTP 200), the sources it waits for (names only: their reasons may name internal endpoints) and `Retry-After`,
 * until a reload or the background retry brings one in. An `onParams` hook after authentication's, so a client
 * without a valid token still learns that first; query cost and rate limits (at execution) are not charged.
 */
export function useNoSourceLoaded(view: (request: Request) => LoadedSourcesView): Plugin {
  return {
    onParams({ request, setResult }) {
      // On every request: one size read, nothing made, unless no source has loaded.
      const generation = view(request);
      if (generation.sources.size > 0) return;
      const missing = generation.missing.map((m) => m.name);
      const names = missing.join(', ');
      setResult({
        errors: [
          createGatewayError('NO_SOURCE_LOADED', `No source has loaded yet${names ? ` (waiting for ${names})` : ''}: the gateway retries them in the background`, {
            httpStatus: 503,
            httpHeaders: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
            extensions: { sources: missing },
          }),
        ],
      });
    },
  };
}
