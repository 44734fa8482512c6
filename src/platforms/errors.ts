import type { Platform } from './types';

/**
 * The one platform error type. Workflows act on `kind`:
 * - auth_revoked: the user must re-authorise (Instagram 190/*, 102; TikTok invalid_grant, access_token_invalid)
 * - rate_limited: wait `retryAfterMs`, then try again
 * - transient: 5xx, timeouts, connection errors, Instagram 1/2, TikTok internal_error: retry with backoff
 * - invalid_request: a bug on our side, do not retry
 * - permission_missing: a scope was not granted, the user must re-consent
 * It never carries a token: messages are built from platform codes, not from request URLs or bodies.
 */
export const PLATFORM_ERROR_KINDS = [
  'auth_revoked',
  'rate_limited',
  'transient',
  'invalid_request',
  'permission_missing',
] as const;
export type PlatformErrorKind = (typeof PLATFORM_ERROR_KINDS)[number];

export interface PlatformErrorInit {
  platform: Platform;
  kind: PlatformErrorKind;
  /** Stable code, e.g. `IG_190_460`, `IG_4`, `TT_invalid_grant`, `HTTP_503`, `TIMEOUT`, `NETWORK`, `MALFORMED`. */
  code: string;
  message: string;
  endpoint: string;
  httpStatus?: number | null;
  requestId?: string | null;
  retryAfterMs?: number | null;
}

export class PlatformError extends Error {
  readonly platform: Platform;
  readonly kind: PlatformErrorKind;
  readonly code: string;
  readonly endpoint: string;
  readonly httpStatus: number | null;
  readonly requestId: string | null;
  readonly retryAfterMs: number | null;

  constructor(init: PlatformErrorInit) {
    super(init.message);
    this.name = 'PlatformError';
    this.platform = init.platform;
    this.kind = init.kind;
    this.code = init.code;
    this.endpoint = init.endpoint;
    this.httpStatus = init.httpStatus ?? null;
    this.requestId = init.requestId ?? null;
    this.retryAfterMs = init.retryAfterMs ?? null;
  }

  /** A plain object safe to log or to put in a workflow failure. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      platform: this.platform,
      kind: this.kind,
      code: this.code,
      endpoint: this.endpoint,
      httpStatus: this.httpStatus,
      requestId: this.requestId,
      retryAfterMs: this.retryAfterMs,
      message: this.message,
    };
  }
}

export function isPlatformError(error: unknown): error is PlatformError {
  return error instanceof PlatformError;
}
