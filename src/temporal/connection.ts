import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionOptions,
} from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

export interface TemporalSettings {
  address: string;
  namespace: string;
}

/**
 * Attempts of one API call to Temporal while the server is unreachable: 0.1 s x 1.7^n between them, about
 * 1 s in all, then the request is answered 503 with Retry-After (src/http/middleware/errors.ts). The SDK's
 * default (10 attempts, up to 5 s apart) holds an HTTP request about 20 s before failing.
 */
export const API_GRPC_RETRY_ATTEMPTS = 5;

/** The API's connection options: its calls give up on an unreachable server within about a second. */
export function apiConnectionOptions(address: string): ConnectionOptions {
  return {
    address,
    interceptors: [
      makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: API_GRPC_RETRY_ATTEMPTS })),
    ],
  };
}

/**
 * One client per process, created by a start-* file (never one connection per request). `options`: the
 * connection's options beyond the address (the API passes apiConnectionOptions); default: the SDK's.
 */
export async function connectTemporalClient(
  { address, namespace }: TemporalSettings,
  options: ConnectionOptions = { address },
): Promise<Client> {
  const connection = await Connection.connect({ ...options, address });
  return new Client({ connection, namespace });
}

export async function connectWorkerConnection({ address }: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect({ address });
}
