import { createClient } from 'graphql-ws';
import type { Pool } from 'undici';
import { WebSocket } from 'ws';
import { httpCallFailure, withoutAddresses } from '../call-failure.js';
import { readSseEvents } from '../sse-events.js';
import { TransportError, type TransportCall } from '../types.js';
import type { GraphqlRequestArgs } from './transport.js';

/** How a remote's Subscription fields are reached (`subscriptions:` of a graphql source). */
export type SubscriptionProtocol = 'sse' | 'graphql-ws';

/**
 * An iterator whose `return()` cancels at once: it aborts the stream's own signal first, so a read waiting for
 * the remote's next event (which may never come) fails and the stream's generator can finish. A plain async
 * generator's `return()` would wait for that next event. The client's signal aborts it the same way.
 */
export function cancellable<T>(open: (signal: AbortSignal) => AsyncGenerator<T>, outer: AbortSignal): AsyncIterableIterator<T> {
  const closed = new AbortController();
  const inner = open(AbortSignal.any([outer, closed.signal]));
  return {
    next: () => inner.next(),
    async return(value?: unknown) {
      closed.abort(new DOMException('the subscription was closed', 'AbortError'));
      await inner.return(undefined).catch(() => undefined);
      return { done: true, value: value as T };
    },
    throw: (error?: unknown) => inner.throw(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * GraphQL over server-sent events ("distinct connections" mode, as graphql-yoga and graphql-sse serve it): one
 * POST per subscription with `Accept: text/event-stream`; `next` events carry results, `complete` ends the stream.
 * Closing the iterator aborts the request, so the remote sees its connection close and stops its source stream.
 */
export function subscribeOverSse(pool: Pool, url: URL, headers: Record<string, string>, args: GraphqlRequestArgs, call: TransportCall, label = 'the GraphQL service'): AsyncIterableIterator<unknown> {
  return cancellable(async function* streamSse(signal) {
    let response;
    try {
      response = await pool.request({
        method: 'POST',
        path: url.pathname + url.search,
        headers: { ...headers, accept: 'text/event-stream', ...call.headers },
        body: JSON.stringify({ query: args.query, variables: args.variables, operationName: args.operationName }),
        signal,
      });
    } catch (error) {
      throw httpCallFailure(error, label, signal);
    }
    try {
      if (response.statusCode >= 500) throw new TransportError('unavailable', `${label} answered HTTP ${response.statusCode}`, { status: response.statusCode });
      const type = String(response.headers['content-type'] ?? '');
      if (!type.includes('text/event-stream')) {
        // An error before the stream began (a validation error, 4xx) comes as one GraphQL response.
        const body = (await response.body.json().catch(() => undefined)) as { errors?: unknown } | undefined;
        if (body && typeof body === 'object' && 'errors' in body) {
          yield body;
          return;
        }
        throw new TransportError('bad-response', `${label} answered HTTP ${response.statusCode} without an event stream`, { status: response.statusCode });
      }
      for await (const event of readSseEvents(response.body)) {
        if (event.event === 'complete') return;
        if ((event.event === 'next' || event.event === '') && event.data !== '') yield JSON.parse(event.data) as unknown;
      }
    } catch (error) {
      if (signal.aborted && !call.signal.aborted) return; // closed by the consumer: a quiet end
      throw httpCallFailure(error, label, signal);
    } finally {
      response.body.destroy();
    }
  }, call.signal);
}

/**
 * The graphql-transport-ws protocol (graphql-ws) at the endpoint with ws:// or wss://: a socket per subscription,
 * so the headers forwarded for one client never travel on another's socket. Closing the iterator completes the
 * subscription and closes the socket.
 */
export function subscribeOverWebSocket(url: URL, headers: Record<string, string>, args: GraphqlRequestArgs, call: TransportCall, label = 'the GraphQL service'): AsyncIterableIterator<unknown> {
  const wsUrl = new URL(url.href);
  wsUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const sent = { ...headers, ...call.headers };
  class HeaderWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers: sent });
    }
  }
  return cancellable(async function* streamWebSocket(signal) {
    const client = createClient({ url: wsUrl.href, webSocketImpl: HeaderWebSocket, lazy: true, retryAttempts: 0 });
    const subscription = client.iterate({ query: args.query, ...(args.variables ? { variables: args.variables } : {}), ...(args.operationName ? { operationName: args.operationName } : {}) });
    const stop = () => void subscription.return?.(undefined);
    signal.addEventListener('abort', stop, { once: true });
    try {
      while (!signal.aborted) {
        const result = await subscription.next();
        if (result.done) return;
        yield result.value;
      }
    } catch (error) {
      if (signal.aborted && !call.signal.aborted) return;
      // The remote refused the operation (an `error` message): GraphQL errors, passed through as a result.
      if (Array.isArray(error)) {
        yield { errors: error };
        return;
      }
      if (error instanceof TransportError) throw error;
      throw new TransportError('unavailable', `${label}: the WebSocket failed (${withoutAddresses(describeClose(error))})`, {}, { cause: error });
    } finally {
      signal.removeEventListener('abort', stop);
      await subscription.return?.(undefined);
      await client.dispose();
    }
  }, call.signal);
}

function describeClose(error: unknown): string {
  if (error instanceof Error) return error.message;
  const event = error as { code?: number; reason?: string } | undefined;
  if (event?.code !== undefined) return `closed with ${event.code}${event.reason ? `: ${event.reason}` : ''}`;
  if (Array.isArray(error)) return (error as { message?: string }[]).map((e) => e.message).join('; ');
  return String(error);
}
