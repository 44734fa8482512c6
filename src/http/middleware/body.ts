import { bodyParser } from '@koa/bodyparser';
import type { Next } from 'koa';
import { AppError } from '../../errors';
import type { AppContext } from '../context';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * JSON only, at most `maxBodyBytes` (MAX_BODY_BYTES, 100 KiB by default: the largest legitimate body, a
 * connect or sync-options object, is under 1 KiB). A declared oversize body is refused before it is read;
 * a chunked one is cut off by the parser at the same limit. Any other content type with a body is a 415.
 */
export function jsonBody({ maxBodyBytes }: { maxBodyBytes: number }) {
  const parse = bodyParser({
    enableTypes: ['json'],
    jsonLimit: maxBodyBytes,
    jsonStrict: true,
    encoding: 'utf-8',
    parsedMethods: [...METHODS_WITH_BODY],
    // co-body marks its errors only by status (400 syntax, 413 size, 415 charset): name them here.
    onError: (error) => {
      throw bodyError(error as { status?: number });
    },
  });
  return async function jsonBodyMiddleware(ctx: AppContext, next: Next): Promise<void> {
    if (!METHODS_WITH_BODY.has(ctx.method) || !hasBody(ctx)) return next();
    const declaredLength = Number(ctx.get('Content-Length') || 0);
    if (declaredLength > maxBodyBytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', `The request body is over the ${maxBodyBytes}-byte limit.`, {
        limitBytes: maxBodyBytes,
      });
    }
    if (!ctx.is('application/json')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json.');
    }
    await parse(ctx, next);
  };
}

function bodyError(error: { status?: number }): AppError {
  if (error.status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large.');
  if (error.status === 415)
    return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as UTF-8 JSON.');
  if (error.status === 400)
    return new AppError('INVALID_JSON', 'The request body is not valid JSON (an object or an array).');
  return new AppError('BAD_REQUEST', 'The request body could not be read.');
}

function hasBody(ctx: AppContext): boolean {
  return Number(ctx.get('Content-Length') || 0) > 0 || ctx.get('Transfer-Encoding') !== '';
}
