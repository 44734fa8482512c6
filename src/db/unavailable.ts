import { ConnectionException } from '@mikro-orm/core';
import { knex } from '@mikro-orm/postgresql';
import { errorChain } from '../errors';

/**
 * Whether an error means PostgreSQL (or the way to it) is unavailable, as opposed to a query of ours being
 * wrong. Decided from the codes the drivers set, never from message text (messages quote SQL with its values
 * and change between versions):
 * - Node's socket errors on the way to the server: refused, reset, timed out, unreachable, name not resolved;
 * - SQLSTATE class 08 (connection exception); 57P01 admin_shutdown (a fast shutdown ends every session),
 *   57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or shutting down), 53300 too_many_connections;
 * - knex's KnexTimeoutError: no pooled connection in time (the server neither accepts nor answers);
 * - MikroORM's ConnectionException; its other DriverExceptions copy the driver's `code`, so they are read too.
 * The error's `cause` and an AggregateError's `errors` (Node's connect to several addresses) are followed.
 * What it cannot see: pg's own "Connection terminated" errors carry no code; the next attempt meets a refused
 * connection and is recognised then.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return errorChain(error).some(
    (entry) =>
      entry instanceof knex.KnexTimeoutError ||
      entry instanceof ConnectionException ||
      isUnavailableCode((entry as { code?: unknown }).code),
  );
}

export const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const UNAVAILABLE_SQLSTATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '53300']);

function isUnavailableCode(code: unknown): boolean {
  if (typeof code !== 'string') return false;
  return CONNECTION_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code);
}
