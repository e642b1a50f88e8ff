import { GraphQLError } from 'graphql';
import { createGatewayError, type ErrorCode } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { TransportError, type TransportFailure } from '../sources/types.js';
import type { PipelineStage } from './stage.js';
import type { Stage, StreamStage } from './types.js';

const CODE_BY_FAILURE: Record<TransportFailure, ErrorCode> = {
  unavailable: 'SOURCE_UNAVAILABLE',
  timeout: 'SOURCE_TIMEOUT',
  'bad-response': 'SOURCE_BAD_RESPONSE',
  rejected: 'SOURCE_REJECTED',
};

/**
 * Whatever went wrong below becomes a GraphQL error scoped to the source. No originalError and no HTTP status,
 * so yoga neither masks it nor turns the whole response into a 5xx; the cause is logged here instead, at debug
 * for expected failures and error for bugs.
 */
export function createErrorMappingStage(logger: Logger): Stage {
  return async function errorMappingStage(call, next) {
    try {
      return await next(call);
    } catch (error) {
      throw toSourceError(error, call.source, call.operation.operationId, logger);
    }
  };
}

/** The same for streams: a failure while opening or mid-stream; `return()` still reaches the source to cancel it. */
export function createStreamErrorMappingStage(logger: Logger): StreamStage {
  return async function* streamErrorMappingStage(call, next) {
    try {
      yield* next(call);
    } catch (error) {
      throw toSourceError(error, call.source, call.operation.operationId, logger);
    }
  };
}

/** The GraphQL error a client sees for a failed call to `source`. */
export function toSourceError(error: unknown, source: string, operationId: string, logger: Logger): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof TransportError) {
    logger.debug({ source, operation: operationId, failure: error.failure, err: error }, 'source call failed');
    return createGatewayError(error.code ?? CODE_BY_FAILURE[error.failure], `${source}: ${error.message}`, { source, extensions: { ...error.details } });
  }
  if (isAbort(error)) {
    // The client went away and its calls were cancelled: nobody will read this error, and it is no bug.
    logger.debug({ source, operation: operationId }, 'source call cancelled with its request');
    return createGatewayError('SOURCE_UNAVAILABLE', `${source}: the call was cancelled with its request`, { source });
  }
  logger.error({ source, operation: operationId, err: error }, 'unexpected error in source call');
  return createGatewayError('SOURCE_BAD_RESPONSE', `${source}: unexpected error while calling ${operationId}`, { source });
}

/**
 * The `extensions.code` `toSourceError` gives a failure, without making the error or logging: for labelling
 * failures below error mapping (the backend calls at the transport).
 */
export function failureCode(error: unknown): string {
  if (error instanceof GraphQLError) return String(error.extensions['code'] ?? 'INTERNAL');
  if (error instanceof TransportError) return error.code ?? CODE_BY_FAILURE[error.failure];
  return isAbort(error) ? 'SOURCE_UNAVAILABLE' : 'SOURCE_BAD_RESPONSE';
}

function isAbort(error: unknown): boolean {
  return (error instanceof Error || error instanceof DOMException) && error.name === 'AbortError';
}

export const errorMappingStage: PipelineStage = {
  name: 'error-mapping',
  call: (context) => createErrorMappingStage(context.logger),
  stream: (context) => createStreamErrorMappingStage(context.logger),
};
