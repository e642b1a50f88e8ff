import { TransportError, type Transport } from '../sources/types.js';
import type { SourceCall, StreamTerminal, Terminal } from './types.js';

export interface ReplicaPoolOptions {
  endpoints: readonly string[];
  transport: Transport;
  /** Milliseconds an endpoint is skipped after it failed to answer. Default 5000. */
  cooldownMs?: number;
  /**
   * Endpoint → epoch ms until which it sits out. Pass the same map to the pool of the next generation (the
   * gateway retains it per source) so a reload does not send traffic straight back to a failing replica.
   */
  downUntil?: Map<string, number>;
  now?: () => number;
}

/** The end of every pipeline: which replica a call goes to, and the transport that makes it. */
export interface ReplicaPool {
  /** A unary call, failing over to the next replica as described on `createReplicaPool`. */
  readonly call: Terminal;
  /** A stream, failing over only while it opens (until its first message): a stream that has begun is not replayed. */
  readonly open: StreamTerminal;
}

/**
 * Spreads calls over the replicas round-robin and fails over to the next one when an endpoint is unavailable.
 * Only read-only operations fail over after a 5xx (the request may have had effects); any operation fails over
 * when the connection itself failed. An endpoint that failed sits out `cooldownMs`, unless all of them do.
 */
export function createReplicaPool(options: ReplicaPoolOptions): ReplicaPool {
  const { endpoints, transport } = options;
  const cooldownMs = options.cooldownMs ?? 5000;
  const now = options.now ?? Date.now;
  const downUntil = options.downUntil ?? new Map<string, number>();
  let next = 0;

  /** Healthy endpoints first, from the next one in turn; cooling ones last, as a last resort. */
  function pickOrder(): string[] {
    const start = next;
    next = (next + 1) % endpoints.length;
    const t = now();
    const healthy: string[] = [];
    const cooling: string[] = [];
    for (let i = 0; i < endpoints.length; i++) {
      const endpoint = endpoints[(start + i) % endpoints.length]!;
      ((downUntil.get(endpoint) ?? 0) <= t ? healthy : cooling).push(endpoint);
    }
    return healthy.concat(cooling);
  }

  /** Marks a failed endpoint; true when the call may go on to the next one. */
  function failedOver(call: SourceCall, endpoint: string, error: unknown): boolean {
    if (!(error instanceof TransportError) || error.failure !== 'unavailable') return false;
    downUntil.set(endpoint, now() + cooldownMs);
    const connectionFailed = error.details['status'] === undefined;
    return call.operation.readOnly || connectionFailed;
  }

  const transportCall = (call: SourceCall) => ({
    signal: call.signal,
    headers: call.headers,
    ...(call.http ? { http: call.http } : {}),
    ...(call.deadline !== undefined ? { deadline: call.deadline } : {}),
  });

  return {
    async call(call) {
      let lastError: unknown;
      for (const endpoint of pickOrder()) {
        if (call.signal.aborted) break;
        try {
          const result = await transport.call(endpoint, call.operation, call.args, transportCall(call));
          downUntil.delete(endpoint);
          return result;
        } catch (error) {
          lastError = error;
          if (!failedOver(call, endpoint, error)) throw error;
        }
      }
      throw lastError ?? new TransportError('unavailable', `${call.source}: no endpoint could be called`);
    },
    open: async function* openStream(call) {
      const subscribe = transport.subscribe?.bind(transport);
      if (!subscribe) throw new TransportError('bad-response', `${call.source} cannot stream`);
      let lastError: unknown;
      for (const endpoint of pickOrder()) {
        if (call.signal.aborted) break;
        const iterator = subscribe(endpoint, call.operation, call.args, transportCall(call))[Symbol.asyncIterator]();
        let first: IteratorResult<unknown>;
        try {
          first = await iterator.next();
        } catch (error) {
          lastError = error;
          if (!failedOver(call, endpoint, error)) throw error;
          continue;
        }
        downUntil.delete(endpoint);
        if (first.done) return;
        yield first.value;
        // From here the stream belongs to the client: `return()` on this generator closes the backend's.
        try {
          for (let item = await iterator.next(); !item.done; item = await iterator.next()) yield item.value;
        } finally {
          await iterator.return?.();
        }
        return;
      }
      throw lastError ?? new TransportError('unavailable', `${call.source}: no endpoint could be called`);
    },
  };
}
