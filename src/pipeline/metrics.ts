import { GraphQLError } from 'graphql';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Telemetry } from '../observability/telemetry.js';
import type { PipelineStage } from './stage.js';
import type { SourceCall, Stage, StreamStage } from './types.js';

/**
 * The outcome label of a finished call, as the client saw it: `hit` (fresh from cache, no backend call), `stale`
 * (a stale answer served), `ok`, or the error's `extensions.code`. This is why the stage sits outside error
 * mapping: below it a failure is still a TransportError, and every kind would look alike.
 */
export function outcomeLabel(call: SourceCall, error?: unknown): string {
  if (error !== undefined) return error instanceof GraphQLError ? String(error.extensions['code'] ?? 'INTERNAL') : 'INTERNAL';
  if (call.outcome.staleAge !== undefined) return 'stale';
  if (call.outcome.cache === 'hit') return 'hit';
  return 'ok';
}

/**
 * The dashboard's side of a finished call: its history, and the events that mark a source starting to serve
 * stale answers (its first stale answer) and stopping (its next live answer).
 */
function recordCall(telemetry: Telemetry, source: string, outcome: string): void {
  telemetry.history.recordSourceCall(source, outcome);
  if (outcome === 'stale' && !telemetry.events.servingStale(source)) telemetry.events.report({ type: 'stale_started', source });
  else if (outcome === 'ok' && telemetry.events.servingStale(source)) telemetry.events.report({ type: 'stale_ended', source });
}

/** Times every call through the pipeline, labelled by outcome (see `outcomeLabel`), and records it for the dashboard. */
export function createMetricsStage(metrics: GatewayMetrics, telemetry?: Telemetry): Stage {
  return async function metricsStage(call, next) {
    const end = metrics.sourceCalls.startTimer({ source: call.source, operation: call.operation.operationId });
    let outcome: string;
    try {
      const value = await next(call);
      outcome = outcomeLabel(call);
      return value;
    } catch (error) {
      outcome = outcomeLabel(call, error);
      throw error;
    } finally {
      end({ outcome: outcome! });
      if (telemetry) recordCall(telemetry, call.source, outcome!);
    }
  };
}

/** Counts streams by how they ended: `ok` (the backend or the client closed it) or the error code. */
export function createStreamMetricsStage(metrics: GatewayMetrics): StreamStage {
  return async function* streamMetricsStage(call, next) {
    let outcome = 'ok';
    try {
      yield* next(call);
    } catch (error) {
      outcome = outcomeLabel(call, error);
      throw error;
    } finally {
      metrics.sourceStreams.inc({ source: call.source, operation: call.operation.operationId, outcome });
    }
  };
}

export const metricsStage: PipelineStage = {
  name: 'metrics',
  call: (context) => createMetricsStage(context.metrics, context.telemetry),
  stream: (context) => createStreamMetricsStage(context.metrics),
};
