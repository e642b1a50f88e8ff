/**
 * What one GraphQL request accumulates about its backend calls, kept beside the request rather than on the
 * GraphQL context: resolvers, pipeline callers and yoga plugins (stale marker, and the plugins of the gateway
 * features) all reach it from the Fetch `Request` they see.
 */

/** What the pipeline found out about one call, for `extensions.stale`, the `Cache-Status` header and metrics. */
export interface CallOutcome {
  /** Seconds since the served value was fetched, when a stale value was served instead of a live answer. */
  staleAge?: number;
  /** How the cache took part, when it did. */
  cache?: 'hit' | 'miss' | 'stale' | 'bypass' | 'revalidated';
  /** Why the configured fallback value was served instead of an answer (the error code the call ended with). */
  fallback?: string;
}

/** A configured fallback value served somewhere in the response: `extensions.fallback` entries. */
export interface FallbackMark {
  readonly source: string;
  /** Response path of the field. */
  readonly path: readonly (string | number)[];
  /** The error code the call failed with (`SOURCE_UNAVAILABLE`, `CIRCUIT_OPEN`, ...). */
  readonly reason: string;
}

/** A stale value served somewhere in the response: `extensions.stale` entries. */
export interface StaleMark {
  readonly source: string;
  /** Response path of the field, as in a GraphQL error's `path`. */
  readonly path: readonly (string | number)[];
  /** Seconds since the value was fetched from the backend. */
  readonly age: number;
}

/** A caller whose token was verified (issue 10): what authorization, cache keys and claim headers use. */
export interface Identity {
  /** The `sub` claim ('' when the token has none). */
  readonly subject: string;
  /** The `iss` claim, when there is one: with the subject, the caller's identity in cache keys. */
  readonly issuer?: string | undefined;
  /** Every claim of the verified token. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The token's scopes (from `auth.jwt.scopesClaim`). */
  readonly scopes: ReadonlySet<string>;
}

/** Who is calling and what, as the access layer learnt it; set once per request by its plugins. */
export interface Caller {
  /** The verified token's holder; undefined for an anonymous caller (or when auth is off). */
  identity?: Identity | undefined;
  /** The client's IP address (`unknown` without a socket, e.g. `gateway.fetch()` without a proxy header). */
  ip: string;
  /** `x-request-id` when the client sent a sane one, else a generated UUID. */
  requestId: string;
  /** The operation's name, when the request named one or the document has exactly one named operation. */
  operationName?: string | undefined;
  /** The document text (the audit log writes its SHA-256). */
  document?: string | undefined;
  /** The operation's cost (`limits.queryCost`), once computed: what cost-weighted rate limits charge. */
  cost?: number | undefined;
  /** The request's variables, for the audit log. */
  variables?: Readonly<Record<string, unknown>> | undefined;
}

/** Everything one GraphQL request accumulates about its backend calls. */
export interface RequestState {
  readonly headers: Headers;
  readonly signal: AbortSignal;
  readonly stale: StaleMark[];
  /** Fallback values served (`extensions.fallback`). */
  readonly fallbacks: FallbackMark[];
  /**
   * Epoch ms when the request's first backend call was prepared: the start of its `server.requestTimeoutMs`
   * budget (parsing and validation come before it and take no backend time). Undefined until then; set again
   * by each event of a subscription.
   */
  startedAt?: number;
  /** Per source, how the cache took part: for the `Cache-Status` header. */
  readonly cacheBySource: Map<string, NonNullable<CallOutcome['cache']>>;
  /**
   * Within one request, the same read is made once: key → in-flight or settled call. A subscription's event is
   * a request of its own here (`beginSubscriptionEvent`): this and the loaders and limiters below are new for it.
   */
  memo: Map<string, Promise<{ value: unknown; outcome: CallOutcome }>>;
  /** Hash of the caller's identity for private cache entries; computed on first use. */
  scopeKey?: string;
  /** The caller, once the access layer's plugins have seen the request. */
  caller?: Caller;
  /** Per-request DataLoaders of batched links, by link id. */
  loaders: Map<string, unknown>;
  /** Per-request concurrency limits of unbatched links, by target source. */
  limiters: Map<string, <T>(run: () => Promise<T>) => Promise<T>>;
  // ---- observability (issue 12)
  /** The request's id (`x-request-id`, accepted or generated), sent to every backend it calls. */
  requestId?: string;
  /** Sources this request called through the pipeline, for its log line. */
  readonly sourcesTouched: Set<string>;
}

const NEVER_ABORTED = new AbortController().signal;

// Keyed by the Fetch Request, which both the resolvers (context.request) and yoga's onResponse hook can see.
const stateByRequest = new WeakMap<object, RequestState>();

/** The state of the request a GraphQL context belongs to, made on first use. */
export function requestStateOf(context: unknown): RequestState {
  const request = (context as { request?: Request } | undefined)?.request;
  const key: object = request ?? (context as object);
  let state = stateByRequest.get(key);
  if (!state) {
    state = {
      headers: request?.headers ?? new Headers(),
      signal: request?.signal ?? NEVER_ABORTED,
      stale: [],
      fallbacks: [],
      cacheBySource: new Map(),
      memo: new Map(),
      loaders: new Map(),
      limiters: new Map(),
      sourcesTouched: new Set(),
    };
    stateByRequest.set(key, state);
  }
  return state;
}

/**
 * A subscription's next event is about to be resolved: the calls it makes (links below the subscription field)
 * are those of a request of their own, so they get a memo, loaders and limiters of their own and a time budget
 * from their first call. Otherwise the first event's answers would be served for the stream's whole life, and
 * its budget would run out `requestTimeoutMs` after the subscription began.
 */
export function beginSubscriptionEvent(state: RequestState): void {
  state.memo = new Map();
  state.loaders = new Map();
  state.limiters = new Map();
  delete state.startedAt;
}

/** The state of `request` if anything made one: for hooks that only read it (onResponse). */
export function peekRequestState(request: Request): RequestState | undefined {
  return stateByRequest.get(request);
}
