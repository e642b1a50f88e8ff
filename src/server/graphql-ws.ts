import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, parse, type DocumentNode, type ExecutionResult } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Gateway } from './create-gateway.js';
import { readSseEvents } from '../sources/sse-events.js';

/** The graphql-ws endpoint beside yoga's HTTP one; close it before the HTTP server. */
export interface GraphqlWsServer extends AsyncDisposable {
  /** Closes every socket (code 1001) and stops accepting upgrades. */
  close(): Promise<void>;
}

/** What `onSubscribe` hands to `execute`/`subscribe` through `rootValue`: the operation to relay to yoga. */
interface RelayedOperation {
  readonly payload: SubscribePayload;
  readonly request: IncomingMessage;
  readonly signal: AbortSignal;
}

/**
 * Serves GraphQL over WebSocket (the graphql-transport-ws protocol) at /graphql on the gateway's HTTP server.
 *
 * Not yoga's graphql-ws recipe as documented: the recipe runs operations through `yoga.getEnveloped()`, whose
 * schema plugin only knows a per-request schema (ours: `() => current.schema`, so reloads swap it) for requests
 * that went through yoga's HTTP parsing, and it throws "No schema found for this request". Instead each
 * operation is relayed to `gateway.fetch()` as a GraphQL-over-HTTP request (SSE for subscriptions) carrying the
 * upgrade request's headers, so it passes every yoga plugin an HTTP request passes (limits, auth, the current
 * generation) and `forwardHeaders` works the same.
 *
 * Each operation's request is aborted when the client completes it or the socket closes. The abort is what
 * cancels a backend stream promptly: graphql-ws calls `return()` on the iterator, which waits for the backend's
 * next message when the iterator is an async generator.
 */
export function attachGraphqlWs(server: Server, gateway: Gateway): GraphqlWsServer {
  const wsServer = new WebSocketServer({ server, path: '/graphql' });
  const operationsBySocket = new WeakMap<WebSocket, Map<string, AbortController>>();

  wsServer.on('connection', function trackOperations(socket: WebSocket) {
    const operations = new Map<string, AbortController>();
    operationsBySocket.set(socket, operations);
    socket.on('message', function abortCompletedOperation(data: RawData) {
      const id = completedOperationId(data);
      if (id === undefined) return;
      operations.get(id)?.abort(new Error('the client completed the operation'));
      operations.delete(id);
    });
    socket.once('close', function abortSocketOperations() {
      for (const controller of operations.values()) controller.abort(new Error('the WebSocket closed'));
      operations.clear();
    });
  });

  // The upgrade request goes along as the server context, as node:http's request does for HTTP: the access layer
  // reads the client's address from it (rate limits by IP, abuse detection), instead of one "unknown" client.
  const relay = (operation: RelayedOperation, accept: string): Promise<Response> =>
    // yoga is typed without a server context (gateway.fetch has none); node:http hands it `{ req, res }`, as here.
    (gateway.yoga.fetch as unknown as (input: string, init: RequestInit, context: { req: IncomingMessage }) => Promise<Response>)(
      `http://${operation.request.headers.host ?? 'localhost'}/graphql`,
      {
        method: 'POST',
        headers: relayedHeaders(operation.request, accept),
        body: JSON.stringify({ query: operation.payload.query, variables: operation.payload.variables ?? undefined, operationName: operation.payload.operationName ?? undefined }),
        signal: operation.signal,
      },
      { req: operation.request },
    );

  const cleanup = useServer(
    {
      onSubscribe: function prepareRelay(ctx, id, payload) {
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
        }
        const controller = new AbortController();
        operationsBySocket.get(ctx.extra.socket)?.set(id, controller);
        const rootValue: RelayedOperation = { payload, request: ctx.extra.request, signal: controller.signal };
        // Validation and execution happen in yoga; graphql-ws only needs the document to tell a subscription.
        return { schema: gateway.current.schema, document, rootValue };
      },
      execute: async function executeRelayed(args) {
        const response = await relay(args.rootValue as RelayedOperation, 'application/graphql-response+json, application/json');
        return revive(await response.json());
      },
      subscribe: async function subscribeRelayed(args) {
        const operation = args.rootValue as RelayedOperation;
        const response = await relay(operation, 'text/event-stream');
        if (!(response.headers.get('content-type') ?? '').includes('text/event-stream') || response.body === null) {
          return revive(await response.json());
        }
        return relayEvents(response.body, operation.signal);
      },
      onComplete: function forgetOperation(ctx, id) {
        operationsBySocket.get(ctx.extra.socket)?.delete(id);
      },
    },
    wsServer,
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async function closeGraphqlWs() {
      await cleanup.dispose();
    })());
  return { close, [Symbol.asyncDispose]: close };
}

/** yoga's SSE `next` events as execution results; ends on `complete`, or quietly when the operation was aborted. */
async function* relayEvents(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<ExecutionResult> {
  try {
    for await (const { event, data } of readSseEvents(body)) {
      if (event === 'complete') return;
      if (event === 'next' && data !== '') yield revive(JSON.parse(data));
    }
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  }
}

/** A result as yoga serialised it, with GraphQLError instances again: graphql-ws serialises errors with `toJSON()`. */
function revive(json: unknown): ExecutionResult {
  const result = json as { data?: Record<string, unknown> | null; errors?: SerializedError[]; extensions?: Record<string, unknown> };
  if (result.errors === undefined) return result as unknown as ExecutionResult;
  const errors = result.errors.map((error) => new GraphQLError(error.message, { ...(error.path ? { path: error.path } : {}), ...(error.extensions ? { extensions: error.extensions } : {}) }));
  return { ...result, errors } as ExecutionResult;
}

interface SerializedError {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
}

/** The upgrade request's headers minus the hop-by-hop ones, which mean nothing past this socket. */
function relayedHeaders(upgrade: IncomingMessage, accept: string): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(upgrade.headers)) {
    if (value === undefined || /^(?:connection|upgrade|host|content-length|sec-websocket-.*)$/i.test(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  headers.set('content-type', 'application/json');
  headers.set('accept', accept);
  return headers;
}

/** The id of a `complete` message, or undefined for any other message (graphql-ws validates them itself). */
function completedOperationId(data: RawData): string | undefined {
  try {
    const message: unknown = JSON.parse(String(data));
    if (typeof message !== 'object' || message === null) return undefined;
    const { type, id } = message as { type?: unknown; id?: unknown };
    return type === 'complete' && typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
