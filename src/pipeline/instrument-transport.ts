import type { GatewayMetrics } from '../observability/metrics.js';
import type { Telemetry } from '../observability/telemetry.js';
import type { Tracing } from '../observability/tracing.js';
import { isDeadlineReason } from '../sources/call-failure.js';
import { TransportError, type OperationSpec, type Transport, type TransportCall } from '../sources/types.js';
import { failureCode } from './error-mapping.js';
import { nextAttempt } from './tracing.js';

export interface InstrumentTransportOptions {
  source: string;
  metrics: GatewayMetrics;
  telemetry: Telemetry;
}

/** A replica that failed this way did not answer: passively, it is unhealthy until it answers again. */
function isNoAnswer(error: unknown): boolean {
  return error instanceof TransportError && (error.failure === 'unavailable' || error.failure === 'timeout');
}

/**
 * The source's transport, counted at the boundary where a call really leaves for a backend: every attempt (each
 * failover, each retry) on the replica it went to, its latency and outcome code, calls in flight, and a client
 * span per attempt whose context goes to the backend as `traceparent`/`tracestate` (HTTP headers, gRPC
 * metadata). Cache hits and stale answers never get here, so they are never counted as backend calls.
 * Wrapping the transport, rather than living in the replica pool, keeps this independent of how replicas are
 * chosen.
 */
export function instrumentTransport(transport: Transport, options: InstrumentTransportOptions): Transport {
  const { source, metrics, telemetry } = options;
  const { history, events, tracing } = telemetry;
  const inFlight = new Map<string, { count: number }>();
  const inFlightOf = (endpoint: string) => {
    let counter = inFlight.get(endpoint);
    if (!counter) inFlight.set(endpoint, (counter = metrics.inFlightCounter(source, endpoint)));
    return counter;
  };

  function finished(endpoint: string, startedAt: number, signal: AbortSignal, error?: unknown): void {
    const ms = performance.now() - startedAt;
    // A call abandoned because its client went away says nothing about the backend: `CANCELLED`, and it
    // counts neither as an error of the replica nor against its health.
    const cancelled = error !== undefined && signal.aborted && !isDeadlineReason(signal.reason);
    const outcome = error === undefined ? 'ok' : cancelled ? 'CANCELLED' : failureCode(error);
    inFlightOf(endpoint).count--;
    metrics.backendCalls.observe({ source, replica: endpoint, outcome }, ms / 1000);
    if (cancelled) return;
    history.recordBackendCall(source, endpoint, ms, outcome === 'ok');
    // Passive health: reported on a change only (an answer of any kind, even an error status, is a live replica).
    const healthy = !isNoAnswer(error);
    telemetry.reachability.record(source, healthy);
    const known = events.replicaHealth(source, endpoint);
    if ((known?.healthy ?? true) !== healthy) {
      events.report({ type: 'replica_health', source, replica: endpoint, healthy, ...(healthy ? {} : { detail: outcome }) });
    }
  }

  function call(endpoint: string, operation: OperationSpec, args: Readonly<Record<string, unknown>>, transportCall: TransportCall): Promise<unknown> {
    inFlightOf(endpoint).count++;
    const startedAt = performance.now();
    const pending = tracing ? tracedCall(tracing, endpoint, operation, args, transportCall) : transport.call(endpoint, operation, args, transportCall);
    return pending.then(
      (value) => {
        finished(endpoint, startedAt, transportCall.signal);
        return value;
      },
      (error: unknown) => {
        finished(endpoint, startedAt, transportCall.signal, error);
        throw error;
      },
    );
  }

  /** A client span per attempt, its context injected into the call's headers. */
  function tracedCall(tracing: Tracing, endpoint: string, operation: OperationSpec, args: Readonly<Record<string, unknown>>, transportCall: TransportCall): Promise<unknown> {
    const { api, tracer, propagator } = tracing;
    const parent = api.context.active();
    const attempt = nextAttempt(api.trace.getSpan(parent));
    const span = tracer.startSpan(
      `${source} ${operation.operationId} attempt`,
      { kind: api.SpanKind.CLIENT, attributes: { 'interchange.source': source, 'interchange.operation': operation.operationId, 'interchange.replica': endpoint, 'interchange.attempt': attempt } },
      parent,
    );
    const headers: Record<string, string> = { ...transportCall.headers };
    propagator.inject(api.trace.setSpan(parent, span), headers, api.defaultTextMapSetter);
    return transport.call(endpoint, operation, args, { ...transportCall, headers }).then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        const code = failureCode(error);
        span.setAttribute('interchange.error_code', code);
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: code });
        span.end();
        throw error;
      },
    );
  }

  const subscribe = transport.subscribe?.bind(transport);
  return {
    call,
    // Streams are counted by the metrics stage (interchange_source_streams_total); here they only carry the trace.
    ...(subscribe
      ? {
          subscribe(endpoint: string, operation: OperationSpec, args: Readonly<Record<string, unknown>>, transportCall: TransportCall) {
            if (!tracing) return subscribe(endpoint, operation, args, transportCall);
            const headers: Record<string, string> = { ...transportCall.headers };
            tracing.propagator.inject(tracing.api.context.active(), headers, tracing.api.defaultTextMapSetter);
            return subscribe(endpoint, operation, args, { ...transportCall, headers });
          },
        }
      : {}),
    // Active health checks are not calls: neither counted nor traced; a passing one says the source is reachable.
    ...(transport.checkHealth ? { checkHealth: checkedHealth(transport.checkHealth.bind(transport), (ok) => telemetry.reachability.record(source, ok)) } : {}),
    [Symbol.asyncDispose]: () => transport[Symbol.asyncDispose](),
  };
}

function checkedHealth(check: NonNullable<Transport['checkHealth']>, record: (ok: boolean) => void): NonNullable<Transport['checkHealth']> {
  return (endpoint, health, signal) =>
    check(endpoint, health, signal).then(
      () => record(true),
      (error: unknown) => {
        record(false);
        throw error;
      },
    );
}
