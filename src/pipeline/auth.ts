import { createGatewayError } from '../errors.js';
import { accessRuleOf, checkAccess, type AccessRule } from '../security/access-rules.js';
import type { PipelineStage, StageContext } from './stage.js';
import type { SourceCall, Stage, StreamStage } from './types.js';

/**
 * Authorization per backend call. Deciding here, in every source's pipeline, guards a protected source however
 * it is reached: a root field, a link from a public type, a delegated GraphQL link. A refused call is one field's
 * error (`FORBIDDEN`, or `UNAUTHENTICATED` for an anonymous caller the request-level check let through), scoped to
 * the source and without an HTTP status, so the rest of the response is served with 200.
 */
function refusal(call: SourceCall, rulesOf: (fieldName: string) => AccessRule): Error | undefined {
  const verdict = checkAccess(rulesOf(call.operation.fieldName), call.caller?.identity);
  if (verdict.allowed) return undefined;
  return createGatewayError(verdict.code, `${call.source}.${call.operation.fieldName}: ${verdict.reason}`, { source: call.source, extensions: { reason: verdict.reason } });
}

/** The rule of each operation, resolved once per generation; undefined when nothing here needs checking. */
function rulesFor(context: StageContext): ((fieldName: string) => AccessRule) | undefined {
  const { config, source } = context;
  if (!config.auth.jwt) return undefined;
  const rules = new Map<string, AccessRule>();
  return (fieldName) => {
    let rule = rules.get(fieldName);
    if (rule === undefined) {
      rule = accessRuleOf(config, source.name, fieldName);
      rules.set(fieldName, rule);
    }
    return rule;
  };
}

export function createAuthStage(rulesOf: (fieldName: string) => AccessRule): Stage {
  return async function authStage(call, next) {
    const refused = refusal(call, rulesOf);
    if (refused) throw refused;
    return next(call);
  };
}

export function createStreamAuthStage(rulesOf: (fieldName: string) => AccessRule): StreamStage {
  return async function* streamAuthStage(call, next) {
    const refused = refusal(call, rulesOf);
    if (refused) throw refused;
    yield* next(call);
  };
}

/** No stage at all without `auth.jwt`: a gateway that verifies no tokens pays nothing for this. */
export const authStage: PipelineStage = {
  name: 'auth',
  call: (context) => {
    const rules = rulesFor(context);
    return rules && createAuthStage(rules);
  },
  stream: (context) => {
    const rules = rulesFor(context);
    return rules && createStreamAuthStage(rules);
  },
};
