import { isGrpcServiceError } from '@temporalio/client';
import { errorChain } from '../errors';

/** gRPC status codes (grpc/include/grpc/impl/codegen/status.h). */
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/**
 * Whether a Temporal client call failed because the server is unreachable: the client's ServiceError wraps
 * the gRPC error, whose status is UNAVAILABLE (no connection, server restarting) or DEADLINE_EXCEEDED (no
 * answer in time). Other statuses (NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT...) are answers, not outages.
 */
export function isTemporalUnavailable(error: unknown): boolean {
  return errorChain(error).some(
    (entry) => isGrpcServiceError(entry) && [GRPC_UNAVAILABLE, GRPC_DEADLINE_EXCEEDED].includes(entry.code),
  );
}
