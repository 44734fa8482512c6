import type { Next } from 'koa';
import { z } from 'zod';
import { isDatabaseUnavailable } from '../../db/unavailable';
import { AppError, isAppError, type ErrorCode } from '../../errors';
import { isTemporalUnavailable } from '../../temporal/unavailable';
import type { AppContext } from '../context';
import { withTimeout } from '../readiness';

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  details?: unknown;
  /** Only on 5xx: the id to quote to an operator; the same id is in the log and the X-Request-Id header. */
  requestId?: string;
}

/** What a client should wait before trying again while a dependency is down: a PostgreSQL restart takes seconds. */
export const SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;
/** How long an unclassified error may wait for the database probe before it is answered. */
const PROBE_TIMEOUT_MS = 250;
/**
 * One warning per dependency per 10 s while it is down (with the count of requests since the last one): every
 * request still has its access log line with status 503, and an outage must not flood the log.
 */
const UNAVAILABLE_LOG_INTERVAL_MS = 10_000;

export interface ErrorHandlerOptions {
  /**
   * Resolves when PostgreSQL answers (the readiness check). Asked only after an error nothing classified: a
   * connection cut without a PostgreSQL error code (a crash mid-query) is then answered 503, not 500.
   */
  probeDatabase?: () => Promise<unknown>;
}

/**
 * The one error middleware: every failure leaves as `{ error, message, details? }` with a catalogue code.
 * PostgreSQL or Temporal unreachable is 503 SERVICE_UNAVAILABLE with Retry-After (it is a dependency, not
 * us, and the client may simply try again). Anything else not classified is a 500 whose body says nothing
 * about the cause (that goes to the log).
 */
export function errorHandler(options: ErrorHandlerOptions = {}) {
  const lastWarned = new Map<string, { at: number; since: number }>();
  const warnUnavailable = (ctx: AppContext, dependency: string, error: unknown) => {
    const seen = lastWarned.get(dependency) ?? { at: 0, since: 0 };
    seen.since++;
    lastWarned.set(dependency, seen);
    if (Date.now() - seen.at < UNAVAILABLE_LOG_INTERVAL_MS) return;
    // Name and code only: a driver's message quotes the failed SQL with its values.
    const { name, code } = error as { name?: unknown; code?: unknown };
    ctx.state.log.warn({ dependency, err: { name, code }, requests: seen.since }, 'dependency unavailable');
    lastWarned.set(dependency, { at: Date.now(), since: 0 });
  };
  return async function errorMiddleware(ctx: AppContext, next: Next): Promise<void> {
    try {
      await next();
      // Nothing answered: the path is unknown (404), or the router found it under other methods (405, with
      // its Allow header; 501 for a method it does not know at all).
      if (ctx.body == null && ctx.status === 404)
        respond(ctx, new AppError('ROUTE_NOT_FOUND', 'No such route.'));
      if (ctx.body == null && (ctx.status === 405 || ctx.status === 501)) {
        respond(ctx, new AppError('METHOD_NOT_ALLOWED', 'This method is not allowed on this route.'));
      }
    } catch (error) {
      const appError = toAppError(error);
      if (appError) return respond(ctx, appError);
      const dependency = unavailableDependency(error) ?? (await probedDatabase(options));
      if (dependency) {
        warnUnavailable(ctx, dependency, error);
        return respond(ctx, serviceUnavailable());
      }
      ctx.state.log.error({ err: error }, 'unhandled error');
      respond(ctx, new AppError('INTERNAL_ERROR', 'Something went wrong on our side.'));
    }
  };
}

function respond(ctx: AppContext, error: AppError): void {
  const body: ErrorBody = { error: error.code, message: error.message };
  if (error.details !== undefined) body.details = error.details;
  if (error.status >= 500) body.requestId = ctx.state.requestId;
  if (error.code === 'SERVICE_UNAVAILABLE')
    ctx.set('Retry-After', String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS));
  ctx.status = error.status;
  ctx.body = body;
}

export function serviceUnavailable(): AppError {
  return new AppError(
    'SERVICE_UNAVAILABLE',
    'A service this request needs is unavailable right now. Try again shortly (see Retry-After).',
  );
}

/** PostgreSQL or Temporal unreachable, read from the error's driver codes (src/db, src/temporal). */
export function unavailableDependency(error: unknown): 'postgres' | 'temporal' | null {
  if (isDatabaseUnavailable(error)) return 'postgres';
  if (isTemporalUnavailable(error)) return 'temporal';
  return null;
}

async function probedDatabase({ probeDatabase }: ErrorHandlerOptions): Promise<'postgres' | null> {
  if (!probeDatabase) return null;
  try {
    await withTimeout(probeDatabase(), PROBE_TIMEOUT_MS);
    return null;
  } catch {
    return 'postgres';
  }
}

/** Maps known failures (ours, zod's, the body parser's and koa's http errors) to catalogue errors. */
export function toAppError(error: unknown): AppError | null {
  if (isAppError(error)) return error;
  if (error instanceof z.ZodError) return validationError(error);
  const httpError = error as { status?: unknown; type?: unknown; expose?: unknown };
  if (typeof httpError.status !== 'number' || httpError.status >= 500) return null;
  switch (httpError.status) {
    case 400:
      return new AppError('BAD_REQUEST', 'The request could not be read.');
    case 413:
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large.');
    case 415:
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json (UTF-8).');
    case 401:
      return new AppError('UNAUTHENTICATED', 'Authentication required.');
    case 403:
      return new AppError('FORBIDDEN', 'Not allowed.');
    case 404:
      return new AppError('ROUTE_NOT_FOUND', 'No such route.');
    default:
      return new AppError('BAD_REQUEST', 'The request could not be processed.');
  }
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** 400 naming each bad field, e.g. `body.email`, `query.limit`, `params.id`. */
export function validationError(error: z.ZodError, location?: string): AppError {
  const problems: FieldProblem[] = error.issues.map((issue) => ({
    field: [location, ...issue.path.map(String)].filter(Boolean).join('.') || location || '(root)',
    message: issue.message,
  }));
  const fields = [...new Set(problems.map((problem) => problem.field))];
  return new AppError('VALIDATION_FAILED', `Invalid input: ${fields.join(', ')}.`, problems);
}
