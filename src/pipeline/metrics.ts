import { GraphQLError } from 'graphql';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Stage } from './types.js';

/** Times every call that reaches the backend side of the pipeline, labelled by outcome. */
export function createMetricsStage(metrics: GatewayMetrics): Stage {
  return async function metricsStage(call, next) {
    const end = metrics.sourceCalls.startTimer({ source: call.source, operation: call.operation.operationId });
    try {
      const value = await next(call);
      end({ outcome: call.outcome.staleAge !== undefined ? 'stale' : 'ok' });
      return value;
    } catch (error) {
      const code = error instanceof GraphQLError ? String(error.extensions['code'] ?? 'error') : 'error';
      end({ outcome: code });
      throw error;
    }
  };
}
