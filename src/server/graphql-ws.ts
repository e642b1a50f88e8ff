import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, parse, type DocumentNode, type ExecutionResult } from 'graphql';
import { createGatewayError } from '../errors.js';
import type { CorsSettings } from '../security/cors.js';
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
 *
 * A WebSocket upgrade has no CORS preflight and carries the browser's cookies, so the HTTP surface's CORS and
 * CSRF rules are applied here at the upgrade (`websocketOrigin`), and the HTTP limits to each message: a message
 * larger than `limits.maxBodyBytes` closes the socket (1009), and a document is parsed with `limits.maxTokens`
 * before anything else looks at it.
 */
export function attachGraphqlWs(server: Server, gateway: Gateway): GraphqlWsServer {
  // Read at start, as the HTTP surface reads them.
  const { maxBodyBytes, maxTokens } = gateway.current.config.limits;
  /** Upgrades whose page may act with the user's credentials (cookies, Authorization): see `websocketOrigin`. */
  const credentialed = new WeakSet<IncomingMessage>();
  const wsServer = new WebSocketServer({
    server,
    path: '/graphql',
    maxPayload: maxBodyBytes,
    verifyClient: function checkOrigin(info: { req: IncomingMessage }, accept: (allowed: boolean, status?: number, message?: string) => void) {
      const verdict = websocketOrigin(info.req, gateway.current.config.server.cors);
      if (verdict === 'refused') return accept(false, 403, 'Origin not allowed');
      if (verdict === 'with-credentials') credentialed.add(info.req);
      accept(true);
    },
  });
  const operationsBySocket = new WeakMap<WebSocket, Map<string, AbortController>>();

  wsServer.on('connection', function trackOperations(socket: WebSocket) {
    quietOversizedMessages(socket);
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
        headers: relayedHeaders(operation.request, accept, credentialed.has(operation.request)),
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
          // The token limit bounds the parse itself: a huge document is refused before it costs much.
          document = parse(payload.query, { maxTokens });
        } catch (error) {
          // graphql-js words it "Document contains more that N tokens".
          if (error instanceof GraphQLError && /contains more tha[nt] \d+ tokens/.test(error.message)) {
            return [createGatewayError('QUERY_TOO_COMPLEX', `The document has more than ${maxTokens} tokens`)];
          }
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

/**
 * A message over `maxPayload` is the client's doing: ws has already closed the socket with 1009 when it emits the
 * error, but graphql-ws would log every socket error as "Internal error ... check your implementation" on the
 * console. Only that one error is kept from it; every other error still reaches graphql-ws.
 */
function quietOversizedMessages(socket: WebSocket): void {
  const emit = socket.emit.bind(socket);
  socket.emit = function emitUnlessOversized(event: string | symbol, ...args: unknown[]) {
    if (event === 'error' && (args[0] as { code?: unknown } | undefined)?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return true;
    return emit(event, ...args);
  } as WebSocket['emit'];
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

/**
 * Whether a WebSocket upgrade may go on, under `server.cors` as the HTTP surface reads it:
 *  - no `Origin`: not a browser (browsers always send one on a WebSocket handshake), so no page can have made
 *    it: allowed with its credentials, as a non-browser HTTP client is;
 *  - the gateway's own origin (the `Host` it was reached at), or an origin listed in `origins` with
 *    `credentials: true`: allowed with the user's credentials;
 *  - an origin listed without `credentials`, or any origin under `*`: allowed, but the cookies and Authorization
 *    the browser attached are not relayed, as a credentialed cross-origin HTTP request would be refused;
 *  - any other origin: refused (403), as a cross-site page gets no CORS answer over HTTP.
 */
export function websocketOrigin(upgrade: IncomingMessage, cors: CorsSettings): 'with-credentials' | 'without-credentials' | 'refused' {
  const origin = upgrade.headers.origin;
  if (origin === undefined) return 'with-credentials';
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return 'refused'; // `null` (a sandboxed page, a file) or garbage
  }
  if (host !== '' && host === upgrade.headers.host) return 'with-credentials';
  if (cors.origins.includes(origin)) return cors.credentials ? 'with-credentials' : 'without-credentials';
  return cors.origins.includes('*') ? 'without-credentials' : 'refused';
}

/**
 * The upgrade request's headers minus the hop-by-hop ones, which mean nothing past this socket, and minus the
 * credentials when the page's origin may not use them.
 */
function relayedHeaders(upgrade: IncomingMessage, accept: string, withCredentials: boolean): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(upgrade.headers)) {
    if (value === undefined || /^(?:connection|upgrade|host|content-length|sec-websocket-.*)$/i.test(name)) continue;
    if (!withCredentials && /^(?:cookie|authorization)$/i.test(name)) continue;
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
