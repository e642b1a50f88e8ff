import { stableKey } from '../cache/stable-key.js';
import type { SourceConfig } from '../config/schema.js';
import type { SourcePipeline, SourceResilienceStatus } from '../pipeline/index.js';
import type { CallOutcome, SourceCall } from '../pipeline/types.js';
import { claimHeaders } from '../request/caller.js';
import { REQUEST_ID_HEADER } from '../request/request-id.js';
import type { RequestState } from '../request/state.js';
import type { ConvertedSource, OperationSpec, Transport } from '../sources/types.js';

/** A source at run time: its converted schema, its transport and the pipeline in front of it. */
export interface SourceRuntime extends AsyncDisposable {
  readonly name: string;
  readonly config: SourceConfig;
  readonly converted: ConvertedSource;
  /** Names of its pipeline's stages, outermost first. */
  readonly stages: readonly string[];
  /** Its breaker and replicas now (admin status). */
  resilience(): SourceResilienceStatus;
  /**
   * Calls one operation through the pipeline on behalf of a request; marks the request when the value is stale.
   * Read-only calls with the same arguments are made once per request. `limit`, when given, queues the call
   * (an unbatched link's per-request concurrency limit); a call answered by the request's memo never queues.
   */
  call(
    operation: OperationSpec,
    args: Readonly<Record<string, unknown>>,
    state: RequestState,
    path: readonly (string | number)[],
    limit?: <T>(run: () => Promise<T>) => Promise<T>,
    /** The field's own arguments when `args` are not them (a remote GraphQL source's document): for the audit log. */
    fieldArgs?: () => unknown,
  ): Promise<unknown>;
  /**
   * Opens a backend stream for a Subscription field through the pipeline's stream stages and replica choice.
   * Not cached and not retried; the stream ends when the client goes away.
   */
  subscribe(operation: OperationSpec, args: Readonly<Record<string, unknown>>, state: RequestState, path: readonly (string | number)[]): AsyncIterable<unknown>;
}

export interface SourceRuntimeOptions {
  config: SourceConfig;
  converted: ConvertedSource;
  transport: Transport;
  pipeline: SourcePipeline;
  /** Extra key material separating callers in private cache entries, from the request and the headers the call sends. */
  scopeKeyOf: (state: RequestState, sent: Readonly<Record<string, string>>) => string;
  /** Client sent `Cache-Control: no-cache` and it is allowed. */
  bypassCacheOf: (state: RequestState) => boolean;
  /** `server.requestTimeoutMs`: the request's budget for backend calls, from its first call. Default: none. */
  requestTimeoutMs?: number;
}

export function createSourceRuntime(options: SourceRuntimeOptions): SourceRuntime {
  const { config, converted, transport, pipeline } = options;
  const forward = (config.forwardHeaders ?? []).map((h) => h.toLowerCase());
  const claims = config.claimsToHeaders ?? {};
  const sendsClaims = Object.keys(claims).length > 0;

  /** What reaches the backend from the caller: allowlisted client headers, then headers made from verified claims. */
  function forwardedHeaders(state: RequestState): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of forward) {
      const value = state.headers.get(name);
      if (value !== null) out[name] = value;
    }
    // A claim wins over a client header of the same name: the client must not be able to claim another user.
    return sendsClaims ? Object.assign(out, claimHeaders(state.caller?.identity, claims)) : out;
  }

  function sourceCall(operation: OperationSpec, args: Readonly<Record<string, unknown>>, state: RequestState, path: readonly (string | number)[], fieldArgs?: () => unknown): SourceCall {
    const headers = forward.length > 0 || sendsClaims ? forwardedHeaders(state) : {};
    // The caller's headers key private entries and shared calls; the request id, new on every request, must not.
    const scopeKey = options.scopeKeyOf(state, headers);
    // The request's id goes to the backend too, so its logs can be joined with ours.
    if (state.requestId !== undefined) headers[REQUEST_ID_HEADER] = state.requestId;
    return {
      source: config.name,
      operation,
      args,
      headers,
      signal: state.signal,
      path,
      outcome: {},
      bypassCache: options.bypassCacheOf(state),
      scopeKey,
      caller: state.caller,
      request: state,
      ...(fieldArgs ? { fieldArgs } : {}),
      ...(options.requestTimeoutMs !== undefined ? { requestDeadline: (state.startedAt ??= Date.now()) + options.requestTimeoutMs } : {}),
    };
  }

  function invoke(operation: OperationSpec, args: Readonly<Record<string, unknown>>, state: RequestState, path: readonly (string | number)[], fieldArgs?: () => unknown) {
    const call = sourceCall(operation, args, state, path, fieldArgs);
    state.sourcesTouched.add(config.name);
    const outcome: CallOutcome = call.outcome;
    return pipeline.call(call).then((value) => ({ value, outcome }));
  }
  const limited = (limit: (<T>(run: () => Promise<T>) => Promise<T>) | undefined, run: () => Promise<{ value: unknown; outcome: CallOutcome }>) => (limit ? limit(run) : run());

  return {
    name: config.name,
    config,
    converted,
    stages: pipeline.order,
    resilience: () => pipeline.status(),
    async call(operation, args, state, path, limit, fieldArgs) {
      let pending: Promise<{ value: unknown; outcome: CallOutcome }>;
      if (operation.readOnly) {
        const key = `${config.name}\u0000${operation.operationId}\u0000${stableKey(args)}`;
        const known = state.memo.get(key);
        if (known) pending = known;
        else {
          pending = limited(limit, () => invoke(operation, args, state, path, fieldArgs));
          state.memo.set(key, pending);
        }
      } else {
        pending = limited(limit, () => invoke(operation, args, state, path, fieldArgs));
      }
      const { value, outcome } = await pending;
      if (outcome.staleAge !== undefined) state.stale.push({ source: config.name, path, age: outcome.staleAge });
      if (outcome.fallback !== undefined) state.fallbacks.push({ source: config.name, path, reason: outcome.fallback });
      if (outcome.cache !== undefined) state.cacheBySource.set(config.name, outcome.cache);
      return value;
    },
    subscribe(operation, args, state, path) {
      state.sourcesTouched.add(config.name);
      return pipeline.open(sourceCall(operation, args, state, path));
    },
    async [Symbol.asyncDispose]() {
      pipeline.close();
      await transport[Symbol.asyncDispose]();
    },
  };
}
