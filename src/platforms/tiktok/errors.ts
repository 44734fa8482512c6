import type { PlatformError, PlatformErrorKind } from '../errors';
import { kindFromHttpStatus, platformError, scrubSecrets, type AnswerContext } from '../http';

/** https://developers.tiktok.com/doc/tiktok-api-v2-error-handling (docs/platforms.md#tiktok-errors) */
const API_ERROR_KINDS: Record<string, PlatformErrorKind> = {
  // Refresh once, then re-authorise: the workflow sees the code and decides.
  access_token_invalid: 'auth_revoked',
  scope_not_authorized: 'permission_missing',
  scope_permission_missed: 'permission_missing',
  invalid_params: 'invalid_request',
  rate_limit_exceeded: 'rate_limited',
  internal_error: 'transient',
};

/** https://developers.tiktok.com/doc/oauth-error-handling (docs/platforms.md#tiktok-code-exchange) */
const OAUTH_ERROR_KINDS: Record<string, PlatformErrorKind> = {
  // Expired, revoked or superseded (rotated) refresh token, or a used code: only a new consent helps.
  invalid_grant: 'auth_revoked',
  access_denied: 'auth_revoked',
  server_error: 'transient',
  temporarily_unavailable: 'transient',
  invalid_client: 'invalid_request',
  invalid_request: 'invalid_request',
  invalid_scope: 'invalid_request',
  unauthorized_client: 'invalid_request',
  unsupported_grant_type: 'invalid_request',
  unsupported_response_type: 'invalid_request',
};

export function tiktokError(
  family: 'api' | 'oauth',
  platformCode: string | null,
  platformMessage: string,
  ctx: AnswerContext,
): PlatformError {
  const table = family === 'api' ? API_ERROR_KINDS : OAUTH_ERROR_KINDS;
  const known = platformCode ? table[platformCode] : undefined;
  // An unknown code under HTTP 200 is still an error (docs/platforms.md#tiktok-errors): classify it by status, 200 -> a bug.
  const kind = known ?? kindFromHttpStatus(ctx.httpStatus);
  const detail = platformCode
    ? `${platformCode}: ${scrubSecrets(platformMessage, ctx.secrets)}`
    : `HTTP ${ctx.httpStatus} without a TikTok error body`;
  return platformError('tiktok', {
    kind,
    code: platformCode ? `TT_${platformCode}` : `HTTP_${ctx.httpStatus}`,
    endpoint: ctx.endpoint,
    httpStatus: ctx.httpStatus,
    requestId: ctx.requestId,
    // TikTok documents no Retry-After (docs/platforms.md#tiktok-rate-limits): null unless one was sent, and the
    // sync budget derives the wait from its own window log.
    retryAfterMs: kind === 'rate_limited' ? ctx.retryAfterMs : null,
    message: detail,
  });
}
