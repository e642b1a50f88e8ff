import type { ErrorCode } from '../errors.js';

/**
 * The contract between a kind of source (openapi, grpc, graphql) and the gateway.
 *
 * A source kind does two things and nothing more:
 *  - at load time, turn a spec into GraphQL SDL plus a table of operations (pure: reads files, no backend I/O);
 *  - at run time, offer a transport that performs one operation against one endpoint.
 * Caching, retries, timeouts, replica choice and error policy live in `pipeline/`, which wraps the transport;
 * that is why nothing under `sources/` imports `pipeline/`, `cache/` or `security/`.
 */

import type { IResolvers } from '@graphql-tools/utils';

export type SourceKind = 'openapi' | 'grpc' | 'graphql';

export type RootTypeName = 'Query' | 'Mutation' | 'Subscription';

/** One backend operation exposed as one root field. */
export interface OperationSpec {
  /** Root type the field lives on. */
  readonly rootType: RootTypeName;
  /** GraphQL field name, after the source's `rename` option was applied. */
  readonly fieldName: string;
  /** Stable identity of the backend operation (OpenAPI operationId, `Service/Method` for gRPC); used in cache keys and metrics. */
  readonly operationId: string;
  /** True when calling it has no side effects (GET, gRPC query methods): only those may be cached, deduplicated or retried. */
  readonly readOnly: boolean;
  /**
   * True when repeating it is harmless though it is not read-only (REST PUT and DELETE): it may be retried.
   * Default: same as `readOnly`.
   */
  readonly idempotent?: boolean;
}

/** Something simplified or left out while converting a spec: shown by `interchange check`. */
export interface ConversionNote {
  /** JSON pointer into the spec (`#/paths/~1products/get/responses/200`) or proto path (`warehouse.Order.status`). */
  readonly pointer: string;
  readonly message: string;
}

/** What a spec turns into at load time. Plain data; can be rebuilt at any time. */
export interface ConvertedSource<Op extends OperationSpec = OperationSpec> {
  readonly name: string;
  readonly kind: SourceKind;
  /**
   * SDL with the source's types and its root fields as `type Query { ... }` / `type Mutation { ... }`.
   * Scalars it uses that are not built in (`JSON`, `DateTime`, ...) are declared in it too.
   */
  readonly typeDefs: string;
  /** Root fields by `${rootType}.${fieldName}`. */
  readonly operations: ReadonlyMap<string, Op>;
  readonly notes: readonly ConversionNote[];
  /**
   * Resolvers the SDL needs beside the root fields, merged into the gateway schema with them: for example
   * `__resolveType` of the unions an OpenAPI `oneOf` became. Default: none.
   */
  readonly resolvers?: IResolvers;
}

/** Per-call data the pipeline hands to a transport. */
export interface TransportCall {
  /** Aborted when the call's timeout expires or the client goes away; a transport must stop work and reject. */
  readonly signal: AbortSignal;
  /** Client headers the source's config allows to be forwarded (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Epoch ms by which the pipeline gives up (it aborts `signal` then). Transports whose protocol carries a
   * deadline pass it on (gRPC's `grpc-timeout`), so the backend can stop work it no longer needs to do.
   */
  readonly deadline?: number;
  /**
   * HTTP caching, for transports that speak HTTP. When present, the transport records what the response said
   * about caching in it; with `validators` it asks conditionally (If-None-Match / If-Modified-Since) and, on
   * 304 Not Modified, sets `notModified` and resolves with undefined.
   */
  readonly http?: HttpCaching;
}

/** What an HTTP backend said about caching its answer, and what the cache asks it to revalidate. */
export interface HttpCaching {
  /** Validators of the entry being revalidated. */
  readonly validators?: HttpValidators | undefined;
  /** Seconds the response may be cached by a shared cache (`s-maxage`, else `max-age`). */
  maxAge?: number;
  /** `no-store` (or `no-cache`, which we cannot honour without revalidating every time): don't store it. */
  noStore?: boolean;
  /** `private`: only for the caller it was made for. */
  private?: boolean;
  /** Validators of this response, for revalidating it later. */
  received?: HttpValidators;
  /** The backend answered 304: the entry is still good. */
  notModified?: boolean;
}

export interface HttpValidators {
  readonly etag?: string;
  readonly lastModified?: string;
}

/**
 * Performs operations against one backend endpoint at a time. Long-lived: holds keep-alive pools/channels.
 * Must resolve with data already shaped like the source's SDL (field names, enum values), and reject with a
 * `TransportError` (below) so the pipeline can tell a down backend from a bad answer.
 */
export interface Transport extends AsyncDisposable {
  call(endpoint: string, operation: OperationSpec, args: Readonly<Record<string, unknown>>, call: TransportCall): Promise<unknown>;
  /**
   * For `Subscription` operations (gRPC server streaming): yields each message shaped like the SDL.
   * Aborting `call.signal`, or the consumer calling `return()` on the iterator, must cancel the backend stream.
   * Rejects/throws `TransportError` like `call`.
   */
  subscribe?(endpoint: string, operation: OperationSpec, args: Readonly<Record<string, unknown>>, call: TransportCall): AsyncIterable<unknown>;
  /**
   * Active health check of one endpoint (`health.active` in the config): resolves when it is healthy, rejects
   * (with a TransportError) when not. HTTP kinds GET `check.path` on the endpoint's origin and want a 2xx;
   * gRPC asks `grpc.health.v1.Health/Check` for `check.service` and wants SERVING. Must stop when `signal` aborts.
   */
  checkHealth?(endpoint: string, check: HealthCheck, signal: AbortSignal): Promise<void>;
}

/** What an active health check asks (see `Transport.checkHealth`). */
export interface HealthCheck {
  /** HTTP: the path to GET. */
  readonly path?: string;
  /** gRPC: the service to ask about ('' for the whole server). */
  readonly service?: string;
}

/**
 * Why a transport call failed, as far as the gateway's policy cares:
 * - `unavailable`: nothing useful came back (connection refused/reset, 5xx, gRPC UNAVAILABLE): try a replica, serve stale;
 * - `timeout`: the deadline passed;
 * - `bad-response`: the backend answered, but with an error status or a body we cannot use (stale may be served, not retried);
 * - `rejected`: the backend refused this request (4xx, gRPC INVALID_ARGUMENT/NOT_FOUND/...): the caller's problem, passed through.
 */
export type TransportFailure = 'unavailable' | 'timeout' | 'bad-response' | 'rejected';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  /**
   * The `extensions.code` the client sees, when it should say more than the failure kind does (a gRPC
   * NOT_FOUND, an HTTP error status). The failure kind still decides failover and stale serving.
   */
  readonly code: ErrorCode | undefined;
  /** Milliseconds the backend asked the client to wait before trying again (an HTTP `Retry-After`). */
  readonly retryAfterMs: number | undefined;
  /** The request never left the gateway (connection refused): repeating it is safe even for a mutation. */
  readonly notSent: boolean;
  /**
   * A timeout the request's own time budget (`server.requestTimeoutMs`) caused, not the backend: the call was
   * given less than its own timeout, or nothing at all. It says nothing about the backend's health.
   */
  readonly byBudget: boolean;
  constructor(
    readonly failure: TransportFailure,
    message: string,
    /** Extra fields for the GraphQL error's extensions (HTTP status, gRPC code, ...); never an `http` key. */
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown; code?: ErrorCode; retryAfterMs?: number; notSent?: boolean; byBudget?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code;
    this.retryAfterMs = options?.retryAfterMs;
    this.notSent = options?.notSent ?? false;
    this.byBudget = options?.byBudget ?? false;
  }
}
