import type { Plugin } from 'graphql-yoga';
import type { StatsHistory } from '../observability/history.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { OperationLabels } from '../observability/operation-label.js';
import { peekRequestState } from '../request/state.js';
import { factsOf, operationOf, peekFacts, recordErrors, requestOutcome } from './request-outcome.js';

export interface RequestTelemetryOptions {
  metrics: GatewayMetrics;
  history: StatsHistory;
  logger: Logger;
  /** Bounds the operation names used as labels. */
  operationLabels: OperationLabels;
  /** `telemetry.requestLog`: the share of requests logged, and whether requests with problems always are. */
  log: { readonly sample: number; readonly alwaysLogProblems: boolean };
  /** The verified user of a request, when authentication knows one (an id, never a token). Default: none. */
  userOf?: (request: Request) => string | undefined;
  /** The GraphQL endpoint's path. Default `/graphql`. */
  path?: string;
}

/** The peer address of the socket, when yoga runs on node:http (none through `gateway.fetch()`). */
function clientIpOf(serverContext: unknown): string | undefined {
  return (serverContext as { req?: { socket?: { remoteAddress?: string } } } | undefined)?.req?.socket?.remoteAddress;
}

/**
 * Per GraphQL request: `interchange_graphql_request_duration_seconds` by operation, type and outcome, the
 * dashboard's history, and one structured log line (request id, operation, duration, sources touched, cache
 * and stale outcomes, error codes, client IP, user), sampled by `telemetry.requestLog`.
 */
export function useRequestTelemetry(options: RequestTelemetryOptions): Plugin {
  const { metrics, history, logger, operationLabels } = options;
  // Sampling by a running share rather than a random draw: `sample: 0.25` logs exactly every fourth request.
  let share = 0;
  const sampled = () => {
    share += options.log.sample;
    if (share < 1) return false;
    share -= 1;
    return true;
  };
  const path = options.path ?? '/graphql';
  const startedAt = new WeakMap<Request, number>();
  return {
    onRequest({ request, url }) {
      if (url.pathname === path) startedAt.set(request, performance.now());
    },
    onParams({ params, request }) {
      const facts = factsOf(request);
      if (typeof params.operationName === 'string') facts.operationName = params.operationName;
      if (typeof params.query === 'string') facts.query = params.query;
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request) return;
      const facts = factsOf(request);
      const operation = operationOf(args.document, args.operationName);
      if (operation.name !== undefined) facts.operationName = operation.name;
      if (operation.type !== undefined) facts.operationType = operation.type;
      if (operation.type !== undefined) facts.executedName = operation.name ?? '';
    },
    onSubscribe({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request) return;
      const facts = factsOf(request);
      facts.operationType = 'subscription';
      const operation = operationOf(args.document, args.operationName);
      if (operation.type !== undefined) facts.executedName = operation.name ?? '';
    },
    onResultProcess({ request, result }) {
      if (result !== null && typeof result === 'object' && Symbol.asyncIterator in result) return;
      recordErrors(factsOf(request), result);
    },
    onResponse({ request, response, serverContext }) {
      const started = startedAt.get(request);
      if (started === undefined) return;
      const durationMs = performance.now() - started;
      const facts = peekFacts(request);
      // No GraphQL parameters and no failure: GraphiQL's page, not an operation.
      if (facts === undefined && response.status < 400) return;
      const state = peekRequestState(request);
      const staleServed = (state?.stale.length ?? 0) > 0;
      const outcome = requestOutcome(facts, staleServed, response.status);
      // The operation that ran names the label; a request refused before running one claimed a name at most.
      const operation = facts?.executedName !== undefined ? operationLabels.labelFor(facts.executedName) : facts?.operationName ? 'other' : 'anonymous';
      metrics.graphqlRequests.observe({ operation, type: facts?.operationType ?? 'unknown', outcome }, durationMs / 1000);
      history.recordRequest(durationMs, outcome, operation);

      if (!logger.isLevelEnabled('info')) return;
      const problem = outcome !== 'ok';
      if (!(problem && options.log.alwaysLogProblems) && !sampled()) return;
      const user = options.userOf?.(request);
      const clientIp = clientIpOf(serverContext);
      logger.info(
        {
          requestId: state?.requestId,
          // The name the client gave (not a label: the log is not a time series), cut to keep lines bounded.
          operation: facts?.operationName?.slice(0, 100) ?? null,
          type: facts?.operationType,
          durationMs: Math.round(durationMs * 10) / 10,
          status: response.status,
          outcome,
          sources: state ? [...state.sourcesTouched] : [],
          cache: state && state.cacheBySource.size > 0 ? Object.fromEntries(state.cacheBySource) : undefined,
          stale: staleServed ? [...new Set(state!.stale.map((s) => s.source))] : undefined,
          errors: facts && facts.errorCodes.length > 0 ? [...new Set(facts.errorCodes)] : undefined,
          ...(clientIp !== undefined ? { clientIp } : {}),
          ...(user !== undefined ? { user } : {}),
        },
        'request',
      );
    },
  };
}
