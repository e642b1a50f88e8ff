import { createHash } from 'node:crypto';
import { stableKey } from './stable-key.js';

/**
 * `source:operation:scope:hash(args)`. The readable prefix lets an operator purge a source; the hash keeps
 * keys short whatever the arguments. `scope` is '' for public entries and a hash of the caller's identity
 * for private ones, so two callers never share a private entry.
 */
export function cacheKey(source: string, operationId: string, scope: string, args: unknown): string {
  return `${source}:${operationId}:${scope}:${argsDigest(args)}`;
}

/** The last part of a cache key: the same for every caller, so an operator can purge one call for all of them. */
export function argsDigest(args: unknown): string {
  return createHash('sha256').update(stableKey(args)).digest('base64url').slice(0, 32);
}
