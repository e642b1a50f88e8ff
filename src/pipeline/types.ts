import type { HttpCaching, OperationSpec, Transport } from '../sources/types.js';

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
  /** Key that separates callers for private cache entries ('' for anonymous callers). */
  readonly scopeKey: string;
  /** Epoch ms by which this call is abandoned; set by the timeout stage. */
  readonly deadline?: number;
  /** HTTP caching exchange with the transport, set by the cache stage (see `TransportCall.http`). */
  readonly http?: HttpCaching;
}

/** What the pipeline found out about one call, for `extensions.stale` and the `Cache-Status` header. */
export interface CallOutcome {
  /** Seconds since the served value was fetched, when a stale value was served instead of a live answer. */
  staleAge?: number;
  /** How the cache took part, when it did. */
  cache?: 'hit' | 'miss' | 'stale' | 'bypass' | 'revalidated';
}

/** One stage: do something around `next`, the rest of the pipeline. */
export type Stage = (call: SourceCall, next: (call: SourceCall) => Promise<unknown>) => Promise<unknown>;

/** The innermost step: call one endpoint through the source's transport. */
export type Terminal = (call: SourceCall) => Promise<unknown>;

/** Stages run outermost first: `composeStages([a, b], t)` is `a(call, c => b(c, t))`. */
export function composeStages(stages: readonly Stage[], terminal: Terminal): Terminal {
  return stages.reduceRight<Terminal>((next, stage) => (call) => stage(call, next), terminal);
}

export type { OperationSpec, Transport };
