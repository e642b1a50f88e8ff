import { Client, credentials, Metadata, type ChannelOptions, type ServiceError } from '@grpc/grpc-js';
import type { ConvertedSource, OperationSpec, Transport, TransportCall } from '../types.js';
import { TransportError } from '../types.js';
import type { GrpcOperation } from './convert-proto.js';
import { isServiceError, transportErrorFromStatus } from './grpc-status-error.js';
import { decodeReply, encodeRequest } from './proto-values.js';

export interface GrpcTransportOptions {
  /** Metadata sent with every call; wins over a forwarded header of the same name. Default: none. */
  metadata?: Readonly<Record<string, string>>;
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
 * Calls the unary methods of a converted .proto source over plaintext HTTP/2 (grpc-js), one channel per
 * endpoint (`host:port`), opened on first use and closed on dispose. Deadlines are not set here: the
 * pipeline owns timeouts and aborts the signal, which cancels the call.
 */
export function createGrpcTransport(source: ConvertedSource<GrpcOperation>, options: GrpcTransportOptions = {}): Transport {
  const staticMetadata = Object.entries(options.metadata ?? {});
  // Validates the static metadata now rather than on every call.
  applyMetadata(new Metadata(), staticMetadata);
  const clients = new Map<string, Client>();
  let disposed = false;

  function clientFor(endpoint: string): Client {
    let client = clients.get(endpoint);
    if (client === undefined) {
      client = new Client(endpoint, credentials.createInsecure(), CHANNEL_OPTIONS);
      clients.set(endpoint, client);
    }
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
      let request: Buffer;
      try {
        request = encodeRequest(grpcOperation.requestType, args);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new TransportError('rejected', `${grpcOperation.operationId}: invalid request: ${reason}`, {}, { cause: error });
      }
      const metadata = applyMetadata(applyMetadata(new Metadata(), forwardableHeaders(call)), staticMetadata);
      return unaryCall(clientFor(endpoint), grpcOperation, request, metadata, call.signal);
    },
    [Symbol.asyncDispose]: async function disposeGrpcTransport() {
      disposed = true;
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}

function unaryCall(client: Client, operation: GrpcOperation, request: Buffer, metadata: Metadata, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => pending.cancel();
    const pending = client.makeUnaryRequest(
      operation.path,
      passEncoded,
      (reply: Buffer) => decodeReply(operation.responseType, reply),
      request,
      metadata,
      {},
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

/** The request was encoded before the call so that a bad argument is `rejected` rather than an INTERNAL status. */
function passEncoded(request: Buffer): Buffer {
  return request;
}

/** A timeout becomes a `timeout` TransportError; any other reason (the client went away) is rethrown as is. */
function abortReason(signal: AbortSignal, operation: GrpcOperation): unknown {
  const reason: unknown = signal.reason;
  if (reason instanceof TransportError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
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
