import { createHash } from 'node:crypto';
import type { Span, TextMapGetter } from '@opentelemetry/api';
import type { Plugin } from 'graphql-yoga';
import type { Tracing } from '../observability/tracing.js';
import { peekRequestState } from '../request/state.js';
import { peekFacts, requestOutcome } from './request-outcome.js';

const headersGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/**
 * A server span per GraphQL request, continuing the client's W3C trace (`traceparent`/`tracestate`) when it
 * sent one, with the operation's name and type and a SHA-256 of the document (never the document itself: it
 * may carry personal data in literals). The request is handled inside the span's context, so the source-call
 * spans of the `tracing` stage and the attempts' client spans become its children. Installed only when tracing
 * is configured. (The envelop/yoga OpenTelemetry plugins trace parse/validate/execute phases through the global
 * provider; what is needed here is the HTTP request's context carried down to the backend calls.)
 */
export function useTracing(tracing: Tracing, options: { path?: string } = {}): Plugin {
  const { api, tracer, propagator } = tracing;
  const path = options.path ?? '/graphql';
  const spans = new WeakMap<Request, Span>();
  return {
    instrumentation: {
      request({ request }, wrapped) {
        if (new URL(request.url).pathname !== path) return wrapped();
        const parent = propagator.extract(api.ROOT_CONTEXT, request.headers, headersGetter);
        const span = tracer.startSpan('graphql.request', { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': path } }, parent);
        spans.set(request, span);
        return api.context.with(api.trace.setSpan(parent, span), wrapped);
      },
    },
    onResponse({ request, response }) {
      const span = spans.get(request);
      if (!span) return;
      spans.delete(request);
      const facts = peekFacts(request);
      const state = peekRequestState(request);
      const outcome = requestOutcome(facts, (state?.stale.length ?? 0) > 0, response.status);
      if (facts?.operationName !== undefined) span.setAttribute('graphql.operation.name', facts.operationName);
      if (facts?.operationType !== undefined) span.setAttribute('graphql.operation.type', facts.operationType);
      if (facts?.query !== undefined) span.setAttribute('graphql.document.hash', `sha256:${createHash('sha256').update(facts.query).digest('hex')}`);
      if (state?.requestId !== undefined) span.setAttribute('interchange.request_id', state.requestId);
      if (state && state.sourcesTouched.size > 0) span.setAttribute('interchange.sources', [...state.sourcesTouched]);
      span.setAttribute('http.response.status_code', response.status);
      span.setAttribute('interchange.outcome', outcome);
      if (facts && facts.errorCodes.length > 0) {
        span.setAttribute('interchange.error_codes', [...new Set(facts.errorCodes)]);
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: outcome });
      }
      span.end();
    },
  };
}
