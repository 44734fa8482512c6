/**
 * The error catalogue: stable SCREAMING_SNAKE codes with their HTTP status. Clients branch on `code`,
 * never on `message`; messages are safe to show and never carry internals or secrets.
 */
export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  INVALID_STATE: 400,
  STATE_ALREADY_USED: 400,
  CONSENT_DENIED: 400,
  INVALID_OTP: 400,
  INVALID_OAUTH_CODE: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  EMAIL_NOT_VERIFIED: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  EMAIL_TAKEN: 409,
  ACCOUNT_ALREADY_CONNECTED: 409,
  REAUTH_REQUIRED: 409,
  OTP_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_ATTEMPTS: 429,
  RATE_LIMIT_EXCEEDED: 429,
  PLATFORM_ERROR: 502,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_CATALOGUE[code];
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** The error, its causes and an AggregateError's members, depth-first, bounded (cycles are possible). */
export function errorChain(error: unknown): unknown[] {
  const seen: unknown[] = [];
  const pending = [error];
  while (pending.length > 0 && seen.length < 20) {
    const entry = pending.shift();
    if (entry === null || typeof entry !== 'object' || seen.includes(entry)) continue;
    seen.push(entry);
    const { cause, errors } = entry as { cause?: unknown; errors?: unknown };
    if (cause !== undefined) pending.push(cause);
    if (Array.isArray(errors)) pending.push(...errors);
  }
  return seen;
}
