import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { createGatewayError } from '../errors.js';
import { requestStateOf, type Caller } from '../request/state.js';
import { charge, type RateLimiters, type RateLimitRule, type RuleCharge } from './rate-limiters.js';

/** A source operation a document reaches. */
export interface ReachedOperation {
  readonly source: string;
  /** Its public field name (what `operations:` keys and `by: operation` rules name). */
  readonly field: string;
}

export interface RateLimitOptions {
  /** `rateLimits` of the request's generation (so a reload changes them). */
  rules: (request: Request) => readonly RateLimitRule[];
  limiters: RateLimiters;
  /** The source operations the document reaches (root fields, links, merged fetches), for `by: source` and `by: operation` rules. */
  reached: (request: Request, document: DocumentNode) => readonly ReachedOperation[];
  /** Told about each refusal (metrics, abuse detection). */
  onLimited?: (request: Request, rule: RateLimitRule) => void;
}

/** The client a per-client budget belongs to: the user when the token named one, else the IP address. */
function clientKey(caller: Caller): string {
  return caller.identity?.subject ? `user:${caller.identity.subject}` : `ip:${caller.ip}`;
}

/** The key `rule` counts this request under, or undefined when the rule does not apply to it. */
function keyFor(rule: RateLimitRule, caller: Caller, reached: () => readonly ReachedOperation[]): string | undefined {
  switch (rule.by) {
    case 'ip':
      return caller.ip;
    case 'user': {
      const value = caller.identity?.claims[rule.claim];
      return value === undefined || value === null ? undefined : String(value);
    }
    // What runs decides, not the name a client gives its operation: renaming it cannot step around the rule.
    case 'operation':
      return reached().some((op) => op.field === rule.operation && (rule.source === undefined || op.source === rule.source)) ? clientKey(caller) : undefined;
    case 'source':
      return reached().some((op) => op.source === rule.source) ? clientKey(caller) : undefined;
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Request rate limits (`rateLimits`), checked once per operation after authentication, so `by: user` knows the
 * user: every rule that applies is charged (1, or the query cost with `cost: true`); if any is over its budget
 * the request is refused with 429, RATE_LIMITED, `Retry-After` and the `RateLimit-*` headers of that rule (the
 * one whose window resets last). A request within its budgets gets the `RateLimit-*` headers of its tightest rule.
 */
export function useRateLimit(options: RateLimitOptions): Plugin {
  const tightest = new WeakMap<Request, RuleCharge>();

  async function check(request: Request | undefined, document: DocumentNode) {
    if (!request) return undefined;
    const rules = options.rules(request);
    const caller = requestStateOf({ request }).caller;
    if (rules.length === 0 || !caller) return undefined;
    let reached: readonly ReachedOperation[] | undefined;
    const reachedOnce = () => (reached ??= options.reached(request, document));
    const charges = await Promise.all(
      rules.map((rule) => {
        const key = keyFor(rule, caller, reachedOnce);
        return key === undefined ? undefined : charge(options.limiters.limiterFor(rule), rule, key, rule.cost ? Math.max(1, Math.ceil(caller.cost ?? 1)) : 1);
      }),
    );
    let limited: RuleCharge | undefined;
    let closest: RuleCharge | undefined;
    for (const c of charges) {
      if (!c) continue;
      if (c.limited && (!limited || c.resetMs > limited.resetMs)) limited = c;
      if (!closest || c.remaining / c.rule.points < closest.remaining / closest.rule.points) closest = c;
    }
    if (closest) tightest.set(request, closest);
    if (!limited) return undefined;
    options.onLimited?.(request, limited.rule);
    const rule = limited.rule;
    const what = rule.by === 'operation' ? `operation ${rule.operation}` : rule.by === 'source' ? `source ${rule.source}` : rule.by === 'user' ? 'this user' : 'this IP address';
    return createGatewayError('RATE_LIMITED', `Rate limit for ${what} exceeded: ${rule.points} ${rule.cost ? 'cost points' : 'requests'} per ${rule.windowSeconds} s; retry in ${seconds(limited.resetMs)} s`, {
      httpStatus: 429,
      httpHeaders: { 'Retry-After': String(seconds(limited.resetMs)), ...rateLimitHeaders(limited) },
      extensions: { rule: { by: rule.by, points: rule.points, windowSeconds: rule.windowSeconds }, retryAfter: seconds(limited.resetMs) },
    });
  }

  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const refused = await check((args.contextValue as { request?: Request }).request, args.document);
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const refused = await check((args.contextValue as { request?: Request }).request, args.document);
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
    onResponse({ request, response }) {
      const c = tightest.get(request);
      if (!c || response.headers.has('RateLimit-Limit')) return;
      for (const [name, value] of Object.entries(rateLimitHeaders(c))) response.headers.set(name, value);
    },
  };
}

/** The IETF draft's RateLimit-Limit / -Remaining / -Reset (seconds until the window resets). */
function rateLimitHeaders(c: RuleCharge): Record<string, string> {
  return { 'RateLimit-Limit': String(c.rule.points), 'RateLimit-Remaining': String(Math.max(0, c.remaining)), 'RateLimit-Reset': String(seconds(c.resetMs)) };
}
