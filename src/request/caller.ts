import { createHash } from 'node:crypto';
import type { RequestState } from './state.js';

/**
 * Who the caller is, for private cache entries and shared in-flight calls: their credentials (Authorization,
 * Cookie), hashed so that no token is ever written to a shared store. '' for an anonymous caller.
 */
export function callerScopeKey(state: RequestState): string {
  if (state.scopeKey === undefined) {
    const identity = [state.headers.get('authorization') ?? '', state.headers.get('cookie') ?? ''].join('\n');
    state.scopeKey = hashIdentity(identity === '\n' ? '' : identity);
  }
  return state.scopeKey;
}

/** A short hash of an identity ('' stays ''), safe to put in a cache key in a shared store. */
export function hashIdentity(identity: string): string {
  return identity === '' ? '' : createHash('sha256').update(identity).digest('base64url').slice(0, 22);
}

/** The client sent `Cache-Control: no-cache` (or `no-store`): it wants live answers. */
export function clientAskedNoCache(state: RequestState): boolean {
  const header = state.headers.get('cache-control');
  return header !== null && /\bno-cache\b|\bno-store\b/i.test(header);
}
