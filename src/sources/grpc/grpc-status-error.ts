import { status, type ServiceError } from '@grpc/grpc-js';
import type { ErrorCode } from '../../errors.js';
import { withoutAddresses } from '../call-failure.js';
import { TransportError, type TransportFailure } from '../types.js';

/** Everything not listed is the caller's problem (NOT_FOUND, INVALID_ARGUMENT, PERMISSION_DENIED, ...): `rejected`. */
const FAILURE_BY_STATUS: ReadonlyMap<status, TransportFailure> = new Map([
  [status.UNAVAILABLE, 'unavailable'],
  // Our own cancellations are reported from the abort signal before this mapping; any other CANCELLED is the
  // server or the connection giving up on the call.
  [status.CANCELLED, 'unavailable'],
  [status.DEADLINE_EXCEEDED, 'timeout'],
  [status.INTERNAL, 'bad-response'],
  [status.UNKNOWN, 'bad-response'],
  [status.DATA_LOSS, 'bad-response'],
  // The backend does not have the method: a deployment mismatch, not something the client can fix.
  [status.UNIMPLEMENTED, 'bad-response'],
]);

/**
 * Client errors keep their gRPC name as `extensions.code` (NOT_FOUND, INVALID_ARGUMENT, ...), so clients can
 * branch on them; the rest take the code of their failure kind (SOURCE_UNAVAILABLE, SOURCE_TIMEOUT, SOURCE_BAD_RESPONSE).
 */
const CODE_BY_STATUS: ReadonlyMap<status, ErrorCode> = new Map<status, ErrorCode>([
  [status.NOT_FOUND, 'NOT_FOUND'],
  [status.INVALID_ARGUMENT, 'INVALID_ARGUMENT'],
  [status.PERMISSION_DENIED, 'PERMISSION_DENIED'],
  [status.UNAUTHENTICATED, 'UNAUTHENTICATED'],
  [status.ALREADY_EXISTS, 'ALREADY_EXISTS'],
  [status.FAILED_PRECONDITION, 'FAILED_PRECONDITION'],
  [status.OUT_OF_RANGE, 'OUT_OF_RANGE'],
  [status.RESOURCE_EXHAUSTED, 'RESOURCE_EXHAUSTED'],
  [status.ABORTED, 'ABORTED'],
]);

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

/**
 * `details` carries the status as `grpcStatus` (its name) and `grpcCode`; the message carries the status details,
 * without addresses (grpc-js writes the endpoint into UNAVAILABLE's: `connect ECONNREFUSED 10.0.3.7:50051`); the
 * ServiceError, whole, is the cause the logs show.
 */
export function transportErrorFromStatus(error: ServiceError, operationId: string): TransportError {
  const statusName = status[error.code] ?? 'UNKNOWN';
  const failure = FAILURE_BY_STATUS.get(error.code) ?? 'rejected';
  const code = CODE_BY_STATUS.get(error.code);
  // grpc-js reports a refused connection as UNAVAILABLE with the socket error in the details: nothing was sent.
  const notSent = error.code === status.UNAVAILABLE && /ECONNREFUSED|No connection established/.test(error.details);
  return new TransportError(failure, `${operationId}: ${statusName}: ${withoutAddresses(error.details)}`, { grpcStatus: statusName, grpcCode: error.code }, { cause: error, notSent, ...(code ? { code } : {}) });
}
