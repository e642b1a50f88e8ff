import { createHash } from 'node:crypto';
import type { AuditLog } from '../security/audit-log.js';
import { outcomeLabel } from './metrics.js';
import type { PipelineStage, StageContext } from './stage.js';
import type { SourceCall, Stage } from './types.js';

/** Whether each operation of a source is audited: the operation's `audit`, else the source's. */
function auditedOf(context: StageContext): ((fieldName: string) => boolean) | undefined {
  const { source } = context;
  const byOperation = Object.entries(source.operations ?? {}).filter(([, settings]) => settings.audit !== undefined);
  if (!source.audit && !byOperation.some(([, settings]) => settings.audit)) return undefined;
  return (fieldName) => source.operations?.[fieldName]?.audit ?? source.audit ?? false;
}

function entryOf(call: SourceCall, outcome: string, started: number) {
  const caller = call.caller;
  return {
    requestId: caller?.requestId ?? '',
    user: caller?.identity?.subject ?? null,
    clientIp: caller?.ip ?? 'unknown',
    operationName: caller?.operationName ?? null,
    documentHash: caller?.document ? createHash('sha256').update(caller.document).digest('hex') : null,
    source: call.source,
    operation: call.operation.fieldName,
    args: call.fieldArgs?.() ?? call.args,
    variables: caller?.variables ?? null,
    outcome,
    latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
  };
}

/**
 * One audit line per call of a source or operation marked `audit: true`, after the call, with its outcome as the
 * client saw it (so it sits outside auth and error mapping: a FORBIDDEN refusal is audited too). Built by the
 * composition root around the gateway's one audit log, and placed right outside `auth`.
 */
export function createAuditStage(log: AuditLog): PipelineStage {
  return {
    name: 'audit-log',
    before: 'auth',
    call(context) {
      const audited = auditedOf(context);
      if (!audited) return undefined;
      return async function auditStage(call, next) {
        if (!audited(call.operation.fieldName)) return next(call);
        const started = performance.now();
        try {
          const value = await next(call);
          log.write(entryOf(call, outcomeLabel(call), started));
          return value;
        } catch (error) {
          log.write(entryOf(call, outcomeLabel(call, error), started));
          throw error;
        }
      } satisfies Stage;
    },
  };
}
