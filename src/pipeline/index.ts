import type { SourceConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Transport } from '../sources/types.js';
import { createErrorMappingStage } from './error-mapping.js';
import { createMetricsStage } from './metrics.js';
import { createReplicaPool } from './replicas.js';
import { createTimeoutStage } from './timeout.js';
import { composeStages, type Stage, type Terminal } from './types.js';

export { composeStages, type CallOutcome, type SourceCall, type Stage, type Terminal } from './types.js';

/** Default milliseconds a backend call may take. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface SourcePipelineOptions {
  source: SourceConfig;
  transport: Transport;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Stages inserted between metrics and timeout (cache, stale-if-error, breaker, retry), outermost first. */
  resilience?: readonly Stage[];
}

/**
 * The same pipeline for every kind of source, outermost first:
 * error mapping ▸ metrics ▸ [cache ▸ stale ▸ breaker ▸ retry] ▸ timeout ▸ replica pool ▸ transport.
 * Error mapping is outermost so every stage below can throw TransportErrors and still count as a failure.
 */
export function createSourcePipeline(options: SourcePipelineOptions): Terminal {
  const { source } = options;
  const timeoutFor = (fieldName: string) => source.operations?.[fieldName]?.timeoutMs ?? source.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return composeStages(
    [
      createErrorMappingStage(options.logger.child({ source: source.name })),
      createMetricsStage(options.metrics),
      ...(options.resilience ?? []),
      createTimeoutStage({ timeoutMs: (call) => timeoutFor(call.operation.fieldName) }),
    ],
    createReplicaPool({ endpoints: source.endpoints, transport: options.transport }),
  );
}
