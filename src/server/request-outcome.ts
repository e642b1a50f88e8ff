import { getOperationAST, type DocumentNode, type GraphQLError } from 'graphql';
import { ERROR_CODES } from '../errors.js';

/**
 * What the request plugins (metrics, log, tracing) learn about one GraphQL request as yoga handles it, kept
 * beside the request (not on the GraphQL context).
 */
export interface RequestFacts {
  /** The name the client gave, then the executed operation's (the log line's `operation`). */
  operationName?: string;
  /**
   * The name of the operation that ran ('' for an anonymous one); undefined while none ran. Only this becomes
   * a metric label: a name a request merely claims (one its document may not even have) never does.
   */
  executedName?: string;
  operationType?: string;
  query?: string;
  /** `extensions.code` of each error of the result, in order (`INTERNAL` for one without a code). */
  errorCodes: string[];
}

const factsByRequest = new WeakMap<Request, RequestFacts>();

export function factsOf(request: Request): RequestFacts {
  let facts = factsByRequest.get(request);
  if (!facts) factsByRequest.set(request, (facts = { errorCodes: [] }));
  return facts;
}

export function peekFacts(request: Request): RequestFacts | undefined {
  return factsByRequest.get(request);
}

/** The operation actually executed: its name (undefined when anonymous) and type. */
export function operationOf(document: DocumentNode, operationName: string | null | undefined): { name?: string; type?: string } {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return {};
  return { type: operation.operation, ...(operation.name ? { name: operation.name.value } : {}) };
}

/** Records the codes of a result's errors (a single result, or each of a batch); streams are left alone. */
export function recordErrors(facts: RequestFacts, result: unknown): void {
  const results = Array.isArray(result) ? result : [result];
  for (const one of results) {
    const errors = (one as { errors?: readonly GraphQLError[] } | null)?.errors;
    if (!Array.isArray(errors)) continue;
    for (const error of errors) facts.errorCodes.push(String(error.extensions?.['code'] ?? 'INTERNAL'));
  }
}

/** Codes other than ours that yoga and graphql-js give; anything else is `other` in labels. */
const KNOWN_CODES = new Set<string>([...Object.keys(ERROR_CODES), 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'PERSISTED_QUERY_NOT_FOUND', 'INTERNAL', 'INTERNAL_SERVER_ERROR']);

/**
 * A request's outcome label: the first error's code (bounded to known codes), else `stale` when a stale answer
 * was served, else `ok`; a response with no GraphQL result (refused before parsing) by its HTTP status.
 */
export function requestOutcome(facts: RequestFacts | undefined, staleServed: boolean, status: number): string {
  const first = facts?.errorCodes[0];
  if (first !== undefined) return KNOWN_CODES.has(first) ? first : 'other';
  if (status >= 500) return 'INTERNAL';
  if (status >= 400) return 'BAD_REQUEST';
  return staleServed ? 'stale' : 'ok';
}
