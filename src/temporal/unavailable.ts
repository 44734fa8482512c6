import { isGrpcServiceError } from '@temporalio/client';

/** gRPC status codes (grpc/include/grpc/impl/codegen/status.h). */
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/**
 * Whether a Temporal client call failed because the server is unreachable: the client's ServiceError wraps
 * the gRPC error, whose status is UNAVAILABLE (no connection, server restarting) or DEADLINE_EXCEEDED (no
 * answer in time). Other statuses (NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT...) are answers, not outages.
 */
export function isTemporalUnavailable(error: unknown): boolean {
  let entry: unknown = error;
  for (let depth = 0; depth < 5 && entry; depth++) {
    if (isGrpcServiceError(entry) && [GRPC_UNAVAILABLE, GRPC_DEADLINE_EXCEEDED].includes(entry.code))
      return true;
    entry = (entry as { cause?: unknown }).cause;
  }
  return false;
}
