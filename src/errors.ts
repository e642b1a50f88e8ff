import { GraphQLError, type GraphQLErrorOptions } from 'graphql';

/**
 * The one registry of error codes. `test/unit/errors.test.ts` keeps it, the README and the code in sync:
 * a code used anywhere must be listed here and documented in the README's error table.
 */
export const ERROR_CODES = {
  // Operator errors: raised at boot, reload or `check`; never reach a GraphQL client.
  CONFIG_INVALID: 'The configuration file is missing, unreadable or does not match the schema.',
  SPEC_INVALID: 'A source spec (OpenAPI document, .proto file, GraphQL schema) cannot be read or converted.',
  STITCH_FAILED: 'The sources and links could not be combined into one schema.',
  // Request errors: GraphQL errors in a response, always with extensions.code.
  SOURCE_UNAVAILABLE: 'A backend could not be reached and no cached answer was available.',
  SOURCE_TIMEOUT: 'A backend did not answer within its timeout and no cached answer was available.',
  SOURCE_BAD_RESPONSE: 'A backend answered with an error status or a body that does not match its spec.',
  SOURCE_REJECTED: 'The gateway did not send a call whose arguments the backend\'s spec cannot carry (an invalid value).',
  // A gRPC backend's client-error status, passed on under its own name (extensions.grpcStatus says the same).
  NOT_FOUND: 'A gRPC backend answered NOT_FOUND.',
  INVALID_ARGUMENT: 'A gRPC backend answered INVALID_ARGUMENT.',
  PERMISSION_DENIED: 'A gRPC backend answered PERMISSION_DENIED.',
  ALREADY_EXISTS: 'A gRPC backend answered ALREADY_EXISTS.',
  FAILED_PRECONDITION: 'A gRPC backend answered FAILED_PRECONDITION.',
  OUT_OF_RANGE: 'A gRPC backend answered OUT_OF_RANGE.',
  RESOURCE_EXHAUSTED: 'A gRPC backend answered RESOURCE_EXHAUSTED.',
  ABORTED: 'A gRPC backend answered ABORTED.',
  CIRCUIT_OPEN: 'Calls to a backend are paused after repeated failures and no cached answer was available.',
  SOURCE_OVERLOADED: 'A backend had as many calls in flight and waiting as its backpressure limits allow and no cached answer was available.',
  LINK_KEY_MISSING: 'A linked field could not be resolved: the backend returned no item for the key.',
  UNAUTHENTICATED: 'The request carries no valid credentials (from a gRPC backend: its UNAUTHENTICATED status, with extensions.source).',
  FORBIDDEN: 'The credentials do not allow this operation.',
  RATE_LIMITED: 'Too many requests from this client.',
  QUERY_TOO_COMPLEX: 'The query exceeds a depth, alias, token or cost limit.',
  BAD_REQUEST: 'The HTTP request is malformed or its body is too large.',
  NO_SOURCE_LOADED: 'No source has loaded yet (every backend was down at start, with no schema snapshot): HTTP 503 with Retry-After.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Codes registered for a feature that is not built yet, so clients and the docs can already rely on the name;
 * nothing raises them today, and the README says so. `test/unit/errors.test.ts` fails when one of them starts
 * being raised (take it out of this set then), and when a code outside this set is raised nowhere.
 */
export const RESERVED_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([]);

export interface GatewayErrorOptions {
  /** The backend at fault; set for every error caused by one source. */
  source?: string;
  /** Further extension fields (HTTP status of the backend, gRPC code, ...). */
  extensions?: Record<string, unknown>;
  /**
   * Set only for errors that are about the whole request (auth, rate limit, query limits).
   * Never for a source-scoped error: yoga would give the whole response this status.
   */
  httpStatus?: number;
  /** Response headers that go with `httpStatus` (`WWW-Authenticate`, `Retry-After`); yoga sets them and strips them from the body. */
  httpHeaders?: Record<string, string>;
  path?: GraphQLErrorOptions['path'];
}

/**
 * Every request error is made here, so each has a stable `extensions.code`.
 * No `originalError` is ever passed: yoga masks errors whose original error is not a GraphQLError, so the
 * cause is logged where the error is made instead.
 */
export function createGatewayError(code: ErrorCode, message: string, options: GatewayErrorOptions = {}): GraphQLError {
  const extensions: Record<string, unknown> = { code, ...options.extensions };
  if (options.source !== undefined) extensions['source'] = options.source;
  if (options.httpStatus !== undefined) extensions['http'] = { status: options.httpStatus, ...(options.httpHeaders ? { headers: options.httpHeaders } : {}) };
  return new GraphQLError(message, { extensions, ...(options.path ? { path: options.path } : {}) });
}

/** One problem found in an operator-supplied file. */
export interface Problem {
  /** The file the problem is in. */
  readonly file: string;
  /** Where in the file: a key path (`sources[1].endpoints`), a JSON pointer or a proto path. */
  readonly at: string;
  readonly message: string;
}

function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `  ${p.file}: ${p.at || '(root)'}: ${p.message}`).join('\n');
}

/** Base of boot-time errors: a literal code and every problem at once. */
export abstract class InterchangeBootError extends Error {
  abstract readonly code: 'CONFIG_INVALID' | 'SPEC_INVALID' | 'STITCH_FAILED';
  constructor(
    summary: string,
    readonly problems: readonly Problem[],
  ) {
    super(problems.length > 0 ? `${summary}\n${formatProblems(problems)}` : summary);
  }
}

export class ConfigInvalidError extends InterchangeBootError {
  override readonly name = 'ConfigInvalidError';
  readonly code = 'CONFIG_INVALID' as const;
}

export class SpecInvalidError extends InterchangeBootError {
  override readonly name = 'SpecInvalidError';
  readonly code = 'SPEC_INVALID' as const;
}

export class StitchFailedError extends InterchangeBootError {
  override readonly name = 'StitchFailedError';
  readonly code = 'STITCH_FAILED' as const;
}

export function isBootError(error: unknown): error is InterchangeBootError {
  return error instanceof InterchangeBootError;
}
