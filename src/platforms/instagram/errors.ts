import type { PlatformError, PlatformErrorKind } from '../errors';
import { kindFromHttpStatus, platformError, scrubSecrets, type AnswerContext } from '../http';
import type { PlatformUsage } from '../types';
import { graphErrorSchema, oauthHostErrorSchema } from './schemas';

/** Code table: docs/platforms.md#instagram-errors and https://developers.facebook.com/docs/graph-api/guides/error-handling */
const AUTH_CODES = new Set([190, 102]);
/** 4 app, 17 user, 32 page, 613 custom, 341 application limit, 368 policy block; 80000-80014 BUC family. */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 341, 368]);
const TRANSIENT_CODES = new Set([1, 2]);

/** Without a hint from the platform: Meta's windows are rolling hours, so a short wait would only fail again. */
export const DEFAULT_RATE_LIMIT_DELAY_MS = 5 * 60_000;

export interface MetaErrorInfo {
  /** graph.instagram.com envelope, or the api.instagram.com OAuth shape whose `code` is HTTP-like. */
  shape: 'graph' | 'oauth';
  code: number;
  subcode: number | null;
  message: string;
  isTransient: boolean;
  fbtraceId: string | null;
}

/** Reads either Meta error shape from a parsed body; null when the body is not an error. */
export function readMetaError(body: unknown): MetaErrorInfo | null {
  const graph = graphErrorSchema.safeParse(body);
  if (graph.success) {
    const { code, error_subcode, message, is_transient, fbtrace_id } = graph.data.error;
    return {
      shape: 'graph',
      code,
      subcode: error_subcode ?? null,
      message,
      isTransient: is_transient ?? false,
      fbtraceId: fbtrace_id ?? null,
    };
  }
  const oauth = oauthHostErrorSchema.safeParse(body);
  if (oauth.success) {
    const { code, error_message } = oauth.data;
    return {
      shape: 'oauth',
      code,
      subcode: null,
      message: error_message,
      isTransient: false,
      fbtraceId: null,
    };
  }
  return null;
}

export function classifyMetaError(info: MetaErrorInfo, httpStatus: number): PlatformErrorKind {
  const { code } = info;
  if (info.shape === 'oauth') return kindFromHttpStatus(code >= 400 && code <= 599 ? code : httpStatus);
  if (AUTH_CODES.has(code)) return 'auth_revoked';
  if (RATE_LIMIT_CODES.has(code) || (code >= 80000 && code <= 80014)) return 'rate_limited';
  if (TRANSIENT_CODES.has(code) || info.isTransient) return 'transient';
  if (code === 10 || (code >= 200 && code <= 299)) return 'permission_missing';
  // An unlisted code under a 5xx is a platform-side failure; under a 4xx it is our bug (e.g. 100, 803).
  return httpStatus >= 500 ? 'transient' : 'invalid_request';
}

export interface InstagramErrorContext extends AnswerContext {
  usage: PlatformUsage | null;
}

export function instagramError(info: MetaErrorInfo | null, ctx: InstagramErrorContext): PlatformError {
  const kind = info ? classifyMetaError(info, ctx.httpStatus) : kindFromHttpStatus(ctx.httpStatus);
  const code = info ? `IG_${info.code}${info.subcode ? `_${info.subcode}` : ''}` : `HTTP_${ctx.httpStatus}`;
  const detail = info
    ? `(#${info.code}${info.subcode ? `/${info.subcode}` : ''}) ${scrubSecrets(info.message, ctx.secrets)}`
    : `HTTP ${ctx.httpStatus} without a Graph error body`;
  return platformError('instagram', {
    kind,
    code,
    endpoint: ctx.endpoint,
    httpStatus: ctx.httpStatus,
    requestId: ctx.requestId,
    retryAfterMs: kind === 'rate_limited' ? rateLimitDelayMs(ctx) : null,
    message: detail,
  });
}

/** Business-use-case usage says how long until access returns (minutes); else Retry-After; else a default. */
function rateLimitDelayMs(ctx: InstagramErrorContext): number {
  const regainSeconds = ctx.usage?.businessUseCase?.regainAccessSeconds ?? 0;
  if (regainSeconds > 0) return regainSeconds * 1000;
  return ctx.retryAfterMs ?? DEFAULT_RATE_LIMIT_DELAY_MS;
}
