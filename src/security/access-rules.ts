import type { GatewayConfig } from '../config/load.js';
import type { Identity } from '../request/state.js';
import type { AccessRule } from '../sources/source-config.js';

export type { AccessRule };

/** The verdict on one caller for one rule: allowed, no identity where one is needed, or an identity that falls short. */
export type AccessVerdict = { readonly allowed: true } | { readonly allowed: false; readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN'; readonly reason: string };

const ALLOWED: AccessVerdict = { allowed: true };

/** The rule of one operation: the operation's `auth`, else its source's, else `auth.default`. */
export function accessRuleOf(config: GatewayConfig, sourceName: string, fieldName: string): AccessRule {
  const source = config.sources.find((s) => s.name === sourceName);
  return source?.operations?.[fieldName]?.auth ?? source?.auth ?? config.auth.default;
}

/** Whether `identity` (undefined: anonymous) satisfies `rule`; when not, why, in words a client can act on. */
export function checkAccess(rule: AccessRule, identity: Identity | undefined): AccessVerdict {
  if (rule === 'public') return ALLOWED;
  if (!identity) return { allowed: false, code: 'UNAUTHENTICATED', reason: 'a valid bearer token is required' };
  if (rule === 'authenticated') return ALLOWED;
  const missing = (rule.scopes ?? []).filter((scope) => !identity.scopes.has(scope));
  if (missing.length > 0) return { allowed: false, code: 'FORBIDDEN', reason: `the token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` };
  for (const [claim, wanted] of Object.entries(rule.claims ?? {})) {
    if (!claimMatches(identity.claims[claim], wanted)) {
      return { allowed: false, code: 'FORBIDDEN', reason: `the token's "${claim}" claim must be ${Array.isArray(wanted) ? `one of ${wanted.join(', ')}` : String(wanted)}` };
    }
  }
  return ALLOWED;
}

/** A claim matches when it equals a wanted value, or (a list claim) contains one. */
function claimMatches(actual: unknown, wanted: string | number | boolean | readonly (string | number | boolean)[]): boolean {
  const options = Array.isArray(wanted) ? wanted : [wanted];
  const values = Array.isArray(actual) ? actual : [actual];
  return values.some((value) => options.includes(value as never));
}

/** Whether a rule needs a token at all. */
export function needsIdentity(rule: AccessRule): boolean {
  return rule !== 'public';
}
