import type { Client } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { isDeadlineReason } from '../call-failure.js';
import { TransportError } from '../types.js';
import { isServiceError, transportErrorFromStatus } from './grpc-status-error.js';

/** The standard gRPC health service (grpc/health/v1/health.proto). */
export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

/** `HealthCheckResponse.ServingStatus` values. */
export const SERVING_STATUS = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;

/** `HealthCheckRequest { string service = 1; }`, encoded by hand: two messages of one field need no .proto. */
export function encodeHealthCheckRequest(service: string): Buffer {
  const writer = protobuf.Writer.create();
  if (service !== '') writer.uint32((1 << 3) | 2).string(service);
  return Buffer.from(writer.finish());
}

/** `HealthCheckResponse { ServingStatus status = 1; }` → the status number (0 when absent, as proto3 says). */
export function decodeHealthCheckResponse(bytes: Buffer): number {
  const reader = protobuf.Reader.create(bytes);
  let status = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 0) status = reader.int32();
    else reader.skipType(tag & 7);
  }
  return status;
}

/** Asks `grpc.health.v1.Health/Check` about `service`; resolves when SERVING. */
export function checkGrpcHealth(client: Client, endpoint: string, service: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => pending.cancel();
    const pending = client.makeUnaryRequest(
      HEALTH_CHECK_PATH,
      (request: Buffer) => request,
      decodeHealthCheckResponse,
      encodeHealthCheckRequest(service),
      function onHealthReply(error, status) {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) {
          const reason: unknown = signal.reason;
          reject(isDeadlineReason(reason) ? new TransportError('timeout', `${endpoint} health check timed out`) : reason);
        } else if (error) reject(isServiceError(error) ? transportErrorFromStatus(error, `${endpoint} health check`) : error);
        else if (status !== SERVING_STATUS.SERVING) reject(new TransportError('unavailable', `${endpoint} health check: status ${status ?? 0}, not SERVING`));
        else resolve();
      },
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
