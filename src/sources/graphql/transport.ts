import { Pool } from 'undici';
import { deadlineHeader, httpCallFailure } from '../call-failure.js';
import { checkHttpHealth } from '../http-health-check.js';
import { TransportError, type OperationSpec, type Transport, type TransportCall } from '../types.js';
import { subscribeOverSse, subscribeOverWebSocket, type SubscriptionProtocol } from './subscriptions.js';

/**
 * GraphQL over HTTP to a remote service, on an undici keep-alive pool per origin.
 * Hand-written instead of @graphql-tools/executor-http because the pipeline needs to tell a refused
 * connection (fail over, serve stale) from a GraphQL error in a good answer (pass through), and
 * executor-http folds both into an ExecutionResult with errors.
 */
export interface GraphqlTransportOptions {
  /** How errors clients see name the remote: the source's name, never its endpoint URL (that stays in the logs). Default `the GraphQL service`. */
  name?: string;
  headers?: Readonly<Record<string, string>>;
  /** Connections per origin. Default 128. */
  connections?: number;
  /** How Subscription fields reach the remote: `sse` or `graphql-ws`. Default `sse`. */
  subscriptions?: SubscriptionProtocol;
}

export interface GraphqlRequestArgs {
  query: string;
  variables?: Record<string, unknown> | undefined;
  operationName?: string | undefined;
}

export function createGraphqlTransport(options: GraphqlTransportOptions = {}): Transport {
  const label = options.name ?? 'the GraphQL service';
  const pools = new Map<string, Pool>();
  const staticHeaders = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...options.headers };

  function poolFor(url: URL): Pool {
    let pool = pools.get(url.origin);
    if (!pool) {
      pool = new Pool(url.origin, { connections: options.connections ?? 128, keepAliveTimeout: 30_000 });
      pools.set(url.origin, pool);
    }
    return pool;
  }

  return {
    async call(endpoint: string, _operation: OperationSpec, args: Readonly<Record<string, unknown>>, call: TransportCall) {
      const url = new URL(endpoint);
      const { query, variables, operationName } = args as unknown as GraphqlRequestArgs;
      let response;
      try {
        response = await poolFor(url).request({
          method: 'POST',
          path: url.pathname + url.search,
          headers: { ...staticHeaders, ...call.headers, ...deadlineHeader(call.deadline) },
          body: JSON.stringify({ query, variables, operationName }),
          signal: call.signal,
        });
      } catch (error) {
        throw httpCallFailure(error, label, call.signal);
      }
      let text: string;
      try {
        text = await response.body.text();
      } catch (error) {
        throw httpCallFailure(error, label, call.signal);
      }
      if (response.statusCode >= 500) throw new TransportError('unavailable', `${label} answered HTTP ${response.statusCode}`, { status: response.statusCode });
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new TransportError('bad-response', `${label} answered HTTP ${response.statusCode} with a body that is not JSON`, { status: response.statusCode });
      }
      if (body === null || typeof body !== 'object' || (!('data' in body) && !('errors' in body))) {
        throw new TransportError('bad-response', `${label} answered with JSON that is not a GraphQL response`, { status: response.statusCode });
      }
      return body;
    },
    checkHealth: (endpoint, check, signal) => checkHttpHealth(poolFor(new URL(endpoint)), endpoint, check.path ?? '/', signal),
    subscribe(endpoint: string, _operation: OperationSpec, args: Readonly<Record<string, unknown>>, call: TransportCall): AsyncIterable<unknown> {
      const url = new URL(endpoint);
      const request = args as unknown as GraphqlRequestArgs;
      return options.subscriptions === 'graphql-ws' ? subscribeOverWebSocket(url, { ...options.headers }, request, call, label) : subscribeOverSse(poolFor(url), url, staticHeaders, request, call, label);
    },
    async [Symbol.asyncDispose]() {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      pools.clear();
    },
  };
}

