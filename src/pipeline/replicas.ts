import { TransportError, type Transport } from '../sources/types.js';
import type { SourceCall, Terminal } from './types.js';

export interface ReplicaPoolOptions {
  endpoints: readonly string[];
  transport: Transport;
  /** Milliseconds an endpoint is skipped after it failed to answer. Default 5000. */
  cooldownMs?: number;
  now?: () => number;
}

/**
 * Spreads calls over the replicas round-robin and fails over to the next one when an endpoint is unavailable.
 * Only read-only operations fail over after a 5xx (the request may have had effects); any operation fails over
 * when the connection itself failed. An endpoint that failed sits out `cooldownMs`, unless all of them do.
 */
export function createReplicaPool(options: ReplicaPoolOptions): Terminal {
  const { endpoints, transport } = options;
  const cooldownMs = options.cooldownMs ?? 5000;
  const now = options.now ?? Date.now;
  const downUntil = new Array<number>(endpoints.length).fill(0);
  let next = 0;

  function pickOrder(): number[] {
    const start = next;
    next = (next + 1) % endpoints.length;
    const t = now();
    const healthy: number[] = [];
    const cooling: number[] = [];
    for (let i = 0; i < endpoints.length; i++) {
      const index = (start + i) % endpoints.length;
      ((downUntil[index] ?? 0) <= t ? healthy : cooling).push(index);
    }
    return healthy.concat(cooling);
  }

  return async function callReplicas(call: SourceCall): Promise<unknown> {
    let lastError: unknown;
    for (const index of pickOrder()) {
      if (call.signal.aborted) break;
      try {
        const result = await transport.call(endpoints[index]!, call.operation, call.args, {
          signal: call.signal,
          headers: call.headers,
          ...(call.http ? { http: call.http } : {}),
          ...(call.deadline !== undefined ? { deadline: call.deadline } : {}),
        });
        downUntil[index] = 0;
        return result;
      } catch (error) {
        lastError = error;
        if (!(error instanceof TransportError) || error.failure !== 'unavailable') throw error;
        downUntil[index] = now() + cooldownMs;
        const connectionFailed = error.details['status'] === undefined;
        if (!call.operation.readOnly && !connectionFailed) throw error;
      }
    }
    throw lastError ?? new TransportError('unavailable', `${call.source}: no endpoint could be called`);
  };
}
