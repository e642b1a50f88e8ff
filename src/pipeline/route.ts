import type { RouteRule } from '../sources/resilience-config.js';
import type { SourceCall } from './types.js';

/** A claim matches when it equals the rule's value as text, or (a list claim) one of its items does. */
function claimEquals(value: unknown, wanted: string): boolean {
  const values = Array.isArray(value) ? value : [value];
  return values.some((item) => (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') && String(item) === wanted);
}

/**
 * The traffic group a `route` rule pins the call's request to (the first rule that matches: a request header's
 * value, or a claim of the verified token), or undefined when none does. The replica pool sends the call to that
 * group, and the cache keeps its answers apart from other groups' (a canary's answer is never served to, or
 * shared with, a call of the stable group).
 */
export function pinnedGroup(rules: readonly RouteRule[] | undefined, call: Pick<SourceCall, 'request' | 'caller'>): string | undefined {
  if (!rules) return undefined;
  for (const rule of rules) {
    if (rule.header !== undefined) {
      if (call.request?.headers.get(rule.header) === rule.equals) return rule.group;
    } else if (rule.claim !== undefined) {
      const claims = (call.caller ?? call.request?.caller)?.identity?.claims;
      if (claims && claimEquals(claims[rule.claim], rule.equals)) return rule.group;
    }
  }
  return undefined;
}
