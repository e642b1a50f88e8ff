import type { OperationSpec } from '../sources/types.js';
import { argsDigest } from './keys.js';
import type { CacheStore } from './store.js';

/** What an operator asks to drop: a source's entries, one operation's, or one call's (its arguments). */
export interface PurgeRequest {
  readonly source: string;
  /** A field name or an operationId of the source. */
  readonly operation?: string | undefined;
  /** With `operation`: only the entries of a call with exactly these arguments, for every caller. */
  readonly args?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Drops the entries a purge names, for every caller (the scope part of the key is left open): the number
 * removed, or undefined when `operation` is not one of `operations` (the source's).
 */
export function purgeCache(store: CacheStore, request: PurgeRequest, operations: Iterable<OperationSpec>): Promise<number | undefined> {
  if (request.operation === undefined) return store.purge(`${request.source}:`);
  const spec = [...operations].find((op) => op.fieldName === request.operation || op.operationId === request.operation);
  if (!spec) return Promise.resolve(undefined);
  return store.purge(`${request.source}:${spec.operationId}:`, request.args ? `:${argsDigest(request.args)}` : '');
}
