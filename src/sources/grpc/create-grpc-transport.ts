import { Client, Metadata, type CallOptions, type ChannelCredentials, type ChannelOptions, type ServiceError } from '@grpc/grpc-js';
import type { ConvertedSource, OperationSpec, Transport, TransportCall } from '../types.js';
import { isDeadlineReason } from '../call-failure.js';
import { TransportError } from '../types.js';
import type { GrpcOperation } from './convert-proto.js';
import { isServiceError, transportErrorFromStatus } from './grpc-status-error.js';
import { channelCredentials, type GrpcTls } from './channel-credentials.js';
import { decodeReply, encodeMessage, encodeRequest } from './proto-values.js';
import { iterateServerStream } from './server-stream-iterator.js';
import { checkGrpcHealth } from './health-check.js';

export interface GrpcTransportOptions {
  /** Metadata sent with every call; wins over a forwarded header of the same name. Default: none. */
  metadata?: Readonly<Record<string, string>>;
  /** TLS for every endpoint (see `readTlsFiles`); plaintext when absent. Default: plaintext. */
  tls?: GrpcTls;
  /**
   * Channels (HTTP/2 connections) per endpoint, used in turn. One connection carries many concurrent calls,
   * but spreads them over one socket and one server thread; more spread the load. Default: 1.
   */
  channels?: number;
}

/**
 * Keep-alive pings detect a dead connection during a call. 5 minutes is the shortest interval Go and C-core
 * servers accept by default (shorter earns a GOAWAY `too_many_pings`), and pings are only sent while calls
 * are active for the same reason.
 */
const CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.keepalive_time_ms': 300_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.keepalive_permit_without_calls': 0,
};

/**
 * Headers a client must not set through forwarding: HTTP/2 connection headers and the ones grpc-js or the
 * gRPC protocol own. Sending them would break the call rather than inform the backend.
 */
const UNFORWARDABLE_HEADER = /^(?::|grpc-)|^(?:connection|keep-alive|transfer-encoding|upgrade|te|host|content-type|content-length|user-agent)$/;

/**
 * Calls the methods of a converted gRPC source over HTTP/2 (grpc-js), plaintext or TLS, one channel per
 * endpoint (`host:port`), opened on first use and closed on dispose: unary and client-streaming methods through
 * `call`, server-streaming ones through `subscribe`. Deadlines are not set here: the pipeline owns timeouts and
 * aborts the signal, which cancels the call.
 */
export function createGrpcTransport(source: ConvertedSource<GrpcOperation>, options: GrpcTransportOptions = {}): Transport {
  const staticMetadata = Object.entries(options.metadata ?? {});
  // Validates the static metadata now rather than on every call.
  applyMetadata(new Metadata(), staticMetadata);
  const channels = options.channels ?? 1;
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`channels must be a positive integer, got ${channels}`);
  const clients = new Map<string, { readonly pool: Client[]; next: number }>();
  const channelCredentialsOfSource: ChannelCredentials = channelCredentials(options.tls);
  let disposed = false;

  function clientFor(endpoint: string): Client {
    let entry = clients.get(endpoint);
    if (entry === undefined) {
      // grpc-js shares one connection between channels with equal options through a global subchannel pool;
      // a local pool per channel is what makes `channels` separate connections.
      const channelOptions = channels > 1 ? { ...CHANNEL_OPTIONS, 'grpc.use_local_subchannel_pool': 1 } : CHANNEL_OPTIONS;
      entry = { pool: Array.from({ length: channels }, () => new Client(endpoint, channelCredentialsOfSource, channelOptions)), next: 0 };
      clients.set(endpoint, entry);
    }
    const client = entry.pool[entry.next]!;
    entry.next = (entry.next + 1) % entry.pool.length;
    return client;
  }

  function operationOf(operation: OperationSpec): GrpcOperation {
    const grpcOperation = source.operations.get(`${operation.rootType}.${operation.fieldName}`);
    if (grpcOperation === undefined) throw new TypeError(`source ${source.name} has no operation ${operation.rootType}.${operation.fieldName}`);
    return grpcOperation;
  }

  return {
    call: async function callGrpc(endpoint, operation, args, call) {
      const grpcOperation = operationOf(operation);
      if (disposed) throw new TransportError('unavailable', `${grpcOperation.operationId}: the gRPC transport is closed`);
      if (call.signal.aborted) throw abortReason(call.signal, grpcOperation);
      const metadata = encodeOrReject(grpcOperation, () => applyMetadata(applyMetadata(new Metadata(), forwardableHeaders(call)), staticMetadata));
      if (grpcOperation.callType === 'client-stream') {
        const messages = encodeOrReject(grpcOperation, () => encodeClientStream(grpcOperation, args));
        return clientStreamCall(clientFor(endpoint), grpcOperation, messages, metadata, call.signal, callOptionsOf(call.deadline));
      }
      if (grpcOperation.callType !== 'unary') throw new TypeError(`${grpcOperation.operationId} streams its replies: use subscribe`);
      const request = encodeOrReject(grpcOperation, () => encodeRequest(grpcOperation.requestType, args));
      return unaryCall(clientFor(endpoint), grpcOperation, request, metadata, call.signal, callOptionsOf(call.deadline));
    },
    subscribe: function subscribeGrpc(endpoint, operation, args, call) {
      const grpcOperation = operationOf(operation);
      if (grpcOperation.callType !== 'server-stream') throw new TypeError(`${grpcOperation.operationId} is not a server-streaming method`);
      if (disposed) throw new TransportError('unavailable', `${grpcOperation.operationId}: the gRPC transport is closed`);
      const request = encodeOrReject(grpcOperation, () => encodeRequest(grpcOperation.requestType, args));
      // A forwarded header value grpc-js cannot send as metadata (beyond ASCII) is the call's fault, as a bad argument.
      const metadata = encodeOrReject(grpcOperation, () => applyMetadata(applyMetadata(new Metadata(), forwardableHeaders(call)), staticMetadata));
      const stream = clientFor(endpoint).makeServerStreamRequest(
        grpcOperation.path,
        passEncoded,
        (reply: Buffer) => decodeReply(grpcOperation.responseType, reply),
        request,
        metadata,
        {},
      );
      return iterateServerStream(stream, {
        signal: call.signal,
        onAbort: (reason) => streamAbortReason(reason, grpcOperation),
        mapError: (error) => (isServiceError(error) ? transportErrorFromStatus(error, grpcOperation.operationId) : error),
      });
    },
    checkHealth: (endpoint, check, signal) => checkGrpcHealth(clientFor(endpoint), endpoint, check.service ?? '', signal),
    [Symbol.asyncDispose]: async function disposeGrpcTransport() {
      disposed = true;
      for (const { pool } of clients.values()) for (const client of pool) client.close();
      clients.clear();
    },
  };
}

/** The pipeline's deadline travels to the server as `grpc-timeout`; the abort signal stays the one that ends the call. */
function callOptionsOf(deadline: number | undefined): CallOptions {
  return deadline === undefined ? {} : { deadline: new Date(deadline) };
}

function unaryCall(client: Client, operation: GrpcOperation, request: Buffer, metadata: Metadata, signal: AbortSignal, options: CallOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => pending.cancel();
    const pending = client.makeUnaryRequest(
      operation.path,
      passEncoded,
      (reply: Buffer) => decodeReply(operation.responseType, reply),
      request,
      metadata,
      options,
      function onUnaryReply(error: ServiceError | null, reply?: unknown) {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(abortReason(signal, operation));
        else if (error) reject(isServiceError(error) ? transportErrorFromStatus(error, operation.operationId) : error);
        else resolve(reply);
      },
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function clientStreamCall(client: Client, operation: GrpcOperation, messages: readonly Buffer[], metadata: Metadata, signal: AbortSignal, options: CallOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => pending.cancel();
    const pending = client.makeClientStreamRequest(
      operation.path,
      passEncoded,
      (reply: Buffer) => decodeReply(operation.responseType, reply),
      metadata,
      options,
      function onClientStreamReply(error: ServiceError | null, reply?: unknown) {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(abortReason(signal, operation));
        else if (error) reject(isServiceError(error) ? transportErrorFromStatus(error, operation.operationId) : error);
        else resolve(reply);
      },
    );
    signal.addEventListener('abort', onAbort, { once: true });
    // grpc-js queues writes until the stream opens and applies HTTP/2 flow control itself.
    for (const message of messages) pending.write(message);
    pending.end();
  });
}

/** A client stream's `messages` argument, each encoded up front so that a bad one rejects before anything is sent. */
function encodeClientStream(operation: GrpcOperation, args: Readonly<Record<string, unknown>>): Buffer[] {
  const messages = args['messages'];
  if (!Array.isArray(messages)) throw new TypeError('messages: expected a list');
  return messages.map((message: unknown, index) => {
    try {
      return encodeMessage(operation.requestType, message);
    } catch (error) {
      throw new TypeError(`messages[${index}]: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}

function encodeOrReject<T>(operation: GrpcOperation, encode: () => T): T {
  try {
    return encode();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TransportError('rejected', `${operation.operationId}: invalid request: ${reason}`, {}, { cause: error });
  }
}

/**
 * A stream aborted for a deadline fails with `timeout`; any other abort means the subscriber went away, and
 * the stream just ends: nobody is left to read an error, and the gateway would log it as unexpected.
 */
function streamAbortReason(reason: unknown, operation: GrpcOperation): unknown {
  if (reason instanceof TransportError) return reason;
  if (isDeadlineReason(reason)) return new TransportError('timeout', `${operation.operationId}: timed out`, {}, { cause: reason });
  return undefined;
}

/** The request was encoded before the call so that a bad argument is `rejected` rather than an INTERNAL status. */
function passEncoded(request: Buffer): Buffer {
  return request;
}

/** A timeout becomes a `timeout` TransportError; any other reason (the client went away) is rethrown as is. */
function abortReason(signal: AbortSignal, operation: GrpcOperation): unknown {
  const reason: unknown = signal.reason;
  if (reason instanceof TransportError) return reason;
  if (isDeadlineReason(reason)) {
    return new TransportError('timeout', `${operation.operationId}: timed out`, {}, { cause: reason });
  }
  return reason;
}

function forwardableHeaders(call: TransportCall): [string, string][] {
  return Object.entries(call.headers).filter(([name]) => !UNFORWARDABLE_HEADER.test(name));
}

/** `set`, not `add`: a later entry replaces an earlier one of the same name. `-bin` values arrive base64-encoded. */
function applyMetadata(metadata: Metadata, entries: readonly [string, string][]): Metadata {
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    metadata.set(key, key.endsWith('-bin') ? Buffer.from(value, 'base64') : value);
  }
  return metadata;
}
