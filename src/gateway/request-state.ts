import type { CallOutcome } from '../pipeline/types.js';

/** A stale value served somewhere in the response: `extensions.stale` entries. */
export interface StaleMark {
  readonly source: string;
  /** Response path of the field, as in a GraphQL error's `path`. */
  readonly path: readonly (string | number)[];
  /** Seconds since the value was fetched from the backend. */
  readonly age: number;
}

/** Everything one GraphQL request accumulates about its backend calls. */
export interface RequestState {
  readonly headers: Headers;
  readonly signal: AbortSignal;
  readonly stale: StaleMark[];
  /** Per source, how the cache took part: for the `Cache-Status` header. */
  readonly cacheBySource: Map<string, NonNullable<CallOutcome['cache']>>;
  /** Within one request, the same read is made once: key → in-flight or settled call. */
  readonly memo: Map<string, Promise<{ value: unknown; outcome: CallOutcome }>>;
  /** Hash of the caller's identity for private cache entries; computed on first use. */
  scopeKey?: string;
  /** Per-request DataLoaders of batched links, by link id. */
  readonly loaders: Map<string, unknown>;
  /** Per-request concurrency limits of unbatched links, by target source. */
  readonly limiters: Map<string, <T>(run: () => Promise<T>) => Promise<T>>;
}

const NEVER_ABORTED = new AbortController().signal;

// Keyed by the Fetch Request, which both the resolvers (context.request) and yoga's onResponse hook can see.
const stateByRequest = new WeakMap<object, RequestState>();

export function requestStateOf(context: unknown): RequestState {
  const request = (context as { request?: Request } | undefined)?.request;
  const key: object = request ?? (context as object);
  let state = stateByRequest.get(key);
  if (!state) {
    state = {
      headers: request?.headers ?? new Headers(),
      signal: request?.signal ?? NEVER_ABORTED,
      stale: [],
      cacheBySource: new Map(),
      memo: new Map(),
      loaders: new Map(),
      limiters: new Map(),
    };
    stateByRequest.set(key, state);
  }
  return state;
}

export function peekRequestState(request: Request): RequestState | undefined {
  return stateByRequest.get(request);
}
