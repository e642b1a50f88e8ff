import type { SourceConfig } from '../config/schema.js';
import type { CallOutcome, SourceCall, Terminal } from '../pipeline/types.js';
import type { ConvertedSource, OperationSpec, Transport } from '../sources/types.js';
import type { RequestState } from './request-state.js';
import { stableKey } from './stable-key.js';

/** A source at run time: its converted schema, its transport and the pipeline in front of it. */
export interface SourceRuntime extends AsyncDisposable {
  readonly name: string;
  readonly config: SourceConfig;
  readonly converted: ConvertedSource;
  /**
   * Calls one operation through the pipeline on behalf of a request; marks the request when the value is stale.
   * Read-only calls with the same arguments are made once per request.
   */
  call(operation: OperationSpec, args: Readonly<Record<string, unknown>>, state: RequestState, path: readonly (string | number)[]): Promise<unknown>;
  /**
   * Opens a backend stream for a Subscription field. Not cached and not retried; the stream ends when the
   * client goes away. Fails over to the next endpoint only while opening.
   */
  subscribe(operation: OperationSpec, args: Readonly<Record<string, unknown>>, state: RequestState): AsyncIterable<unknown>;
}

export interface SourceRuntimeOptions {
  config: SourceConfig;
  converted: ConvertedSource;
  transport: Transport;
  pipeline: Terminal;
  /** Extra key material separating callers in private cache entries. */
  scopeKeyOf: (state: RequestState) => string;
  /** Client sent `Cache-Control: no-cache` and it is allowed. */
  bypassCacheOf: (state: RequestState) => boolean;
  /** Turns a transport failure into the GraphQL error the client sees (the pipeline's error mapping). */
  mapError: (error: unknown, operation: OperationSpec) => unknown;
}

export function createSourceRuntime(options: SourceRuntimeOptions): SourceRuntime {
  const { config, converted, transport, pipeline } = options;
  const forward = (config.forwardHeaders ?? []).map((h) => h.toLowerCase());

  function forwardedHeaders(state: RequestState): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of forward) {
      const value = state.headers.get(name);
      if (value !== null) out[name] = value;
    }
    return out;
  }

  function invoke(operation: OperationSpec, args: Readonly<Record<string, unknown>>, state: RequestState, path: readonly (string | number)[]) {
    const outcome: CallOutcome = {};
    const call: SourceCall = {
      source: config.name,
      operation,
      args,
      headers: forward.length > 0 ? forwardedHeaders(state) : {},
      signal: state.signal,
      path,
      outcome,
      bypassCache: options.bypassCacheOf(state),
      scopeKey: options.scopeKeyOf(state),
    };
    return pipeline(call).then((value) => ({ value, outcome }));
  }

  return {
    name: config.name,
    config,
    converted,
    async call(operation, args, state, path) {
      let pending: Promise<{ value: unknown; outcome: CallOutcome }>;
      if (operation.readOnly) {
        const key = `${config.name}\u0000${operation.operationId}\u0000${stableKey(args)}`;
        const known = state.memo.get(key);
        if (known) pending = known;
        else {
          pending = invoke(operation, args, state, path);
          state.memo.set(key, pending);
        }
      } else {
        pending = invoke(operation, args, state, path);
      }
      const { value, outcome } = await pending;
      if (outcome.staleAge !== undefined) state.stale.push({ source: config.name, path, age: outcome.staleAge });
      if (outcome.cache !== undefined) state.cacheBySource.set(config.name, outcome.cache);
      return value;
    },
    subscribe(operation, args, state) {
      if (!transport.subscribe) throw options.mapError(new Error(`${config.kind} sources cannot stream`), operation);
      const endpoint = config.endpoints[Math.floor(Math.random() * config.endpoints.length)]!;
      const stream = transport.subscribe(endpoint, operation, args, { signal: state.signal, headers: forward.length > 0 ? forwardedHeaders(state) : {} });
      return mapStreamErrors(stream, (error) => options.mapError(error, operation));
    },
    async [Symbol.asyncDispose]() {
      await transport[Symbol.asyncDispose]();
    },
  };
}

/** Re-throws a stream's failures as the client-facing errors; `return()` still reaches the source to cancel it. */
async function* mapStreamErrors(stream: AsyncIterable<unknown>, mapError: (error: unknown) => unknown): AsyncGenerator<unknown> {
  try {
    yield* stream;
  } catch (error) {
    throw mapError(error);
  }
}
