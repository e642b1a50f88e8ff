import type { CallOutcome, Caller, RequestState } from '../request/state.js';
import type { HttpCaching, OperationSpec, Transport } from '../sources/types.js';

export type { CallOutcome };

/** One backend call as it travels through the pipeline. */
export interface SourceCall {
  readonly source: string;
  readonly operation: OperationSpec;
  readonly args: Readonly<Record<string, unknown>>;
  /** Client headers allowed for this source (lower-case), already filtered by `forwardHeaders`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Aborted when the client goes away. Stages add their own deadlines on top. */
  readonly signal: AbortSignal;
  /** Where in the response the result lands, for `extensions.stale`. */
  readonly path: readonly (string | number)[];
  /** Filled in by the stages as the call goes (was it served stale, from cache, ...); read by the caller. */
  readonly outcome: CallOutcome;
  /** Client sent `Cache-Control: no-cache` and the config allows it: skip fresh cache hits. */
  readonly bypassCache: boolean;
  /**
   * Key that separates callers for private cache entries and shared in-flight calls: the caller's identity and
   * every header value sent to the source ('' for anonymous callers whose calls send nothing caller-specific).
   */
  readonly scopeKey: string;
  /** Who is calling (identity, IP, operation), when the access layer saw the request; authorization and audit read it. */
  readonly caller?: Caller | undefined;
  /**
   * The arguments the called field itself takes, when `args` is what the transport sends instead (a remote
   * GraphQL source's document and variables): read, only when needed, by the audit log. Default: `args` are.
   */
  readonly fieldArgs?: () => unknown;
  /** Epoch ms by which this call is abandoned; set by the timeout stage. */
  readonly deadline?: number;
  /**
   * The deadline is what was left of the request's budget, shorter than the call's own timeout: a timeout then
   * is the request's, not the backend's (see `TransportError.byBudget`). Set by the timeout stage.
   */
  readonly deadlineByBudget?: boolean;
  /** HTTP caching exchange with the transport, set by the cache stage (see `TransportCall.http`). */
  readonly http?: HttpCaching;
  /**
   * The request the call is made for: its headers (all of them, for route rules) and what other features
   * record about it. Absent for calls made outside a request (tests, background refreshes keep the first one).
   */
  readonly request?: RequestState;
  /** Epoch ms by which the whole request gives up on backend calls (`server.requestTimeoutMs`). */
  readonly requestDeadline?: number;
  /**
   * Replicas this call has already been sent to: the replica pool adds the one it picks and prefers others, so
   * the retry stage's next attempt goes to another replica when there is one. Set by the retry stage.
   */
  readonly tried?: Set<string>;
}

/** One stage of a unary call: do something around `next`, the rest of the pipeline. */
export type Stage = (call: SourceCall, next: (call: SourceCall) => Promise<unknown>) => Promise<unknown>;

/** The innermost step of a unary call: call one endpoint through the source's transport. */
export type Terminal = (call: SourceCall) => Promise<unknown>;

/**
 * One stage of a stream (a Subscription field): wraps the rest of the pipeline's iterable. Closing the returned
 * iterable (`return()`) must close the inner one, which is what cancels the backend stream.
 */
export type StreamStage = (call: SourceCall, next: (call: SourceCall) => AsyncIterable<unknown>) => AsyncIterable<unknown>;

/** The innermost step of a stream: open it on one endpoint through the source's transport. */
export type StreamTerminal = (call: SourceCall) => AsyncIterable<unknown>;

/** Stages run outermost first: `composeStages([a, b], t)` is `a(call, c => b(c, t))`. */
export function composeStages(stages: readonly Stage[], terminal: Terminal): Terminal {
  return stages.reduceRight<Terminal>((next, stage) => (call) => stage(call, next), terminal);
}

/** The same composition for streams. */
export function composeStreamStages(stages: readonly StreamStage[], terminal: StreamTerminal): StreamTerminal {
  return stages.reduceRight<StreamTerminal>((next, stage) => (call) => stage(call, next), terminal);
}

export type { OperationSpec, Transport };

/**
 * The rest of a stream whose first message was already read: yields the messages after it, and closes the
 * source's iterator when the consumer stops (`return()`), which is what cancels the backend stream.
 */
export async function* continueStream<T>(iterator: AsyncIterator<T>, first: IteratorResult<T>): AsyncGenerator<T> {
  if (first.done) return;
  yield first.value;
  try {
    for (let item = await iterator.next(); !item.done; item = await iterator.next()) yield item.value;
  } finally {
    await iterator.return?.();
  }
}
