import { createHash } from 'node:crypto';
import { isPlainHeaderValue } from '../sources/call-failure.js';
import type { Identity, RequestState } from './state.js';

/**
 * Who the caller is, for private cache entries and shared in-flight calls: the verified token's issuer and
 * subject when auth is on, else their credentials (Authorization, Cookie); plus every header value the source
 * is sent (forwarded client headers and claims turned into headers), since each of those can change the
 * backend's answer. Hashed, so that no token is ever written to a shared store. '' for an anonymous caller
 * whose calls carry nothing caller-specific.
 */
export function callerScopeKey(state: RequestState, sent: Readonly<Record<string, string>> = {}): string {
  const names = Object.keys(sent);
  if (names.length === 0) return (state.scopeKey ??= hashIdentity(callerIdentity(state)));
  names.sort();
  let material = callerIdentity(state);
  for (const name of names) material += `\n${name}:${sent[name]}`;
  return hashIdentity(material);
}

function callerIdentity(state: RequestState): string {
  const identity = state.caller?.identity;
  if (identity) return `jwt\n${identity.issuer ?? ''}\n${identity.subject}`;
  const credentials = [state.headers.get('authorization') ?? '', state.headers.get('cookie') ?? ''].join('\n');
  return credentials === '\n' ? '' : credentials;
}

/** A short hash of an identity ('' stays ''), safe to put in a cache key in a shared store. */
export function hashIdentity(identity: string): string {
  return identity === '' ? '' : createHash('sha256').update(identity).digest('base64url').slice(0, 22);
}

/**
 * The headers a source's `claimsToHeaders` makes from the caller's verified claims: a string or number as it
 * is, a list joined with ',', anything else as JSON; a claim the token lacks sends nothing. A value with any
 * character a header cannot carry (beyond ASCII, a line break) is sent percent-encoded as UTF-8, the whole of
 * it as `encodeURIComponent` does (`Łukasz` → `%C5%81ukasz`): the HTTP client would refuse it otherwise.
 */
export function claimHeaders(identity: Identity | undefined, mapping: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  if (!identity) return out;
  for (const [claim, header] of Object.entries(mapping)) {
    const value = identity.claims[claim];
    if (value === undefined || value === null) continue;
    const text = typeof value === 'string' ? value : Array.isArray(value) ? value.map(String).join(',') : typeof value === 'object' ? JSON.stringify(value) : String(value);
    out[header] = isPlainHeaderValue(text) ? text : encodeURIComponent(text);
  }
  return out;
}

/** The client sent `Cache-Control: no-cache` (or `no-store`): it wants live answers. */
export function clientAskedNoCache(state: RequestState): boolean {
  const header = state.headers.get('cache-control');
  return header !== null && /\bno-cache\b|\bno-store\b/i.test(header);
}
