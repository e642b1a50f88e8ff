import type { Span } from '@opentelemetry/api';
import type { Tracing } from '../observability/tracing.js';
import { failureCode } from './error-mapping.js';
import type { PipelineStage } from './stage.js';
import type { Stage } from './types.js';

/**
 * Attempts that reached a transport under each source-call span: the instrumented transport numbers them
 * (`interchange.attempt` 1, 2, ... across failovers and retries) and the source-call span reports the total.
 */
const attemptsBySpan = new WeakMap<Span, number>();

/** The next attempt number under the active source-call span (1 when there is none). */
export function nextAttempt(parent: Span | undefined): number {
  if (!parent) return 1;
  const attempt = (attemptsBySpan.get(parent) ?? 0) + 1;
  attemptsBySpan.set(parent, attempt);
  return attempt;
}

/**
 * A span per source call, child of the request's span (found through the active context), covering the cache,
 * the breaker, the retries and every attempt; the attempts' own spans (one per transport call, with the replica)
 * are made by the instrumented transport inside it. Sits outside error mapping's inner stages but sees the final
 * code, since error mapping is inside it.
 */
export function createTracingStage(tracing: Tracing, source: string): Stage {
  const { api, tracer } = tracing;
  return async function tracingStage(call, next) {
    const parent = api.context.active();
    const span = tracer.startSpan(
      `${source} ${call.operation.operationId}`,
      { kind: api.SpanKind.INTERNAL, attributes: { 'interchange.source': source, 'interchange.operation': call.operation.operationId, 'graphql.field.path': call.path.join('.') } },
      parent,
    );
    try {
      const value = await api.context.with(api.trace.setSpan(parent, span), () => next(call));
      span.setAttribute('interchange.cache', call.outcome.cache ?? 'none');
      if (call.outcome.staleAge !== undefined) span.setAttribute('interchange.stale_age_s', call.outcome.staleAge);
      return value;
    } catch (error) {
      const code = failureCode(error);
      span.setAttribute('interchange.error_code', code);
      if (call.outcome.cache !== undefined) span.setAttribute('interchange.cache', call.outcome.cache);
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: code });
      throw error;
    } finally {
      span.setAttribute('interchange.attempts', attemptsBySpan.get(span) ?? 0);
      span.end();
    }
  };
}

/** In the `tracing` slot: present only when tracing is configured, so a gateway without it pays nothing. */
export const tracingStage: PipelineStage = {
  name: 'tracing',
  call: (context) => (context.telemetry?.tracing ? createTracingStage(context.telemetry.tracing, context.source.name) : undefined),
};
