import { isSafeNumber, parse as parseLosslessJson } from 'lossless-json';
import pino from 'pino';
import type { z } from 'zod';
import type { Logger } from '../logger';
import { PlatformError, type PlatformErrorKind } from './errors';
import type { Platform } from './types';

/**
 * The HTTP plumbing both platform clients share: one fetch per call with a timeout, lossless JSON, schema
 * parsing that tolerates unknown keys, and the error helpers. Nothing here ever logs or formats a URL: the
 * Instagram ones carry the access token in their query string.
 */

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Optional collaborators of every client: tests inject a fake clock, a capturing logger or a fetch spy. */
export interface PlatformClientDeps {
  fetch?: FetchLike;
  now?: () => Date;
  logger?: Logger;
}

export interface Transport {
  platform: Platform;
  fetch: FetchLike;
  timeoutMs: number;
  logger: Logger;
}

export interface HttpCall {
  /** Safe to log, e.g. `GET /me/media`; never the URL. */
  endpoint: string;
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** A platform call with every secret it carries (token, app secret, code): none may leak through a message. */
export interface PlatformCall extends HttpCall {
  secrets: readonly string[];
  /**
   * The answer may carry an integer above 2^53 as a JSON number (Instagram's code exchange, flat shape:
   * docs/platforms.md#instagram-authorization-and-code-exchange): parse it keeping the digits.
   */
  largeIntegers?: boolean;
}

/** What an error built from a platform's answer needs to know about the call and the answer. */
export interface AnswerContext {
  endpoint: string;
  httpStatus: number;
  requestId: string | null;
  retryAfterMs: number | null;
  /** Tokens, secrets and codes of this call: cut out of any quoted platform message. */
  secrets: readonly string[];
}

export function createTransport(platform: Platform, timeoutMs: number, deps: PlatformClientDeps): Transport {
  return {
    platform,
    timeoutMs,
    fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
    logger: (deps.logger ?? pino({ level: 'silent' })).child({ platform }),
  };
}

/** One HTTP exchange; the timeout covers the headers and the body. Failures become transient errors. */
export async function send(transport: Transport, call: HttpCall): Promise<HttpResponse> {
  const startedAt = Date.now();
  try {
    const response = await transport.fetch(call.url, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      signal: AbortSignal.timeout(transport.timeoutMs),
    });
    const text = await response.text();
    transport.logger.debug(
      { endpoint: call.endpoint, status: response.status, durationMs: Date.now() - startedAt },
      'platform call',
    );
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    throw connectionFailure(transport, call.endpoint, error);
  }
}

/** Every failed call is logged once, as the error's safe JSON (no URL, no body, no token). */
export async function logFailures<T>(transport: Transport, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PlatformError)
      transport.logger.debug({ error: error.toJSON() }, 'platform call failed');
    throw error;
  }
}

function connectionFailure(transport: Transport, endpoint: string, error: unknown): PlatformError {
  // Not `instanceof Error`: fetch's DOMException may come from another realm (jest, vm) and fail that check.
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return platformError(transport.platform, {
      kind: 'transient',
      code: 'TIMEOUT',
      endpoint,
      message: `${endpoint} did not answer within ${transport.timeoutMs} ms`,
    });
  }
  // Only the low-level code (ECONNREFUSED, UND_ERR_SOCKET...) goes into the message, never error.message:
  // some fetch implementations quote the request URL there.
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : 'unknown';
  return platformError(transport.platform, {
    kind: 'transient',
    code: 'NETWORK',
    endpoint,
    message: `${endpoint} failed to connect (${code})`,
  });
}

/**
 * A platform answer's JSON; `undefined` when the body is not JSON at all. JSON.parse for every answer but
 * those that may carry integers above 2^53 (PlatformCall.largeIntegers): the lossless parser cost about 6 %
 * of a fleet sync's CPU when every answer went through it.
 */
export function parseAnswerBody(text: string, call: Pick<PlatformCall, 'largeIntegers'>): unknown {
  if (call.largeIntegers) return parseJsonLosslessly(text);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * JSON.parse would round Instagram ids (> 2^53) to the wrong number. Integers that do not fit a double are
 * kept as their digit string; every other number becomes a plain number.
 * Returns `undefined` when the body is not JSON at all.
 */
export function parseJsonLosslessly(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return parseLosslessJson(text, null, (digits) =>
      isSafeNumber(digits, { approx: true }) ? Number(digits) : digits,
    );
  } catch {
    return undefined;
  }
}

/** zod objects strip unknown keys by default, so new platform fields never break a parse. */
export function parseWithSchema<T extends z.ZodType>(
  platform: Platform,
  endpoint: string,
  schema: T,
  data: unknown,
  requestId: string | null,
): z.output<T> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  // Paths only: issue messages could quote values, and values could be tokens.
  const paths = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').slice(0, 5);
  throw malformedError(platform, endpoint, `unexpected response shape at ${paths.join(', ')}`, requestId);
}

export function malformedError(
  platform: Platform,
  endpoint: string,
  detail: string,
  requestId: string | null = null,
): PlatformError {
  // A truncated or garbled body is almost always a proxy or platform hiccup: worth a bounded retry.
  return platformError(platform, {
    kind: 'transient',
    code: 'MALFORMED',
    endpoint,
    requestId,
    message: detail,
  });
}

export function answerContext(
  call: PlatformCall,
  response: HttpResponse,
  requestId: string | null,
  now: Date,
): AnswerContext {
  return {
    endpoint: call.endpoint,
    httpStatus: response.status,
    requestId,
    retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after'), now),
    secrets: call.secrets,
  };
}

/** The body of an answer that is not an error: JSON of the schema's shape, else a malformed-answer error. */
export function parseSuccessBody<T extends z.ZodType>(
  platform: Platform,
  endpoint: string,
  schema: T,
  body: unknown,
  requestId: string | null,
): z.output<T> {
  if (body === undefined) throw malformedError(platform, endpoint, 'response body is not JSON', requestId);
  return parseWithSchema(platform, endpoint, schema, body, requestId);
}

/** Status-only classification, for bodies that carry no platform error code. */
export function kindFromHttpStatus(status: number): PlatformErrorKind {
  if (status === 429) return 'rate_limited';
  if (status >= 500 || status === 408 || status === 425) return 'transient';
  if (status === 401) return 'auth_revoked';
  return 'invalid_request';
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfterMs(header: string | null, now: Date): number | null {
  if (!header) return null;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now.getTime());
}

const TOKEN_LIKE = /(access_token|refresh_token|client_secret|code)=[^&\s"']+/gi;
const MAX_MESSAGE_LENGTH = 300;

/**
 * Platform messages are quoted in our errors for diagnosis. They are not supposed to echo secrets, but some
 * APIs do, so every known secret of the call and anything shaped like `access_token=...` is cut out.
 */
export function scrubSecrets(text: string, secrets: readonly (string | null | undefined)[]): string {
  let clean = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) clean = clean.split(secret).join('[redacted]');
  }
  clean = clean.replace(TOKEN_LIKE, '$1=[redacted]');
  return clean.length > MAX_MESSAGE_LENGTH ? `${clean.slice(0, MAX_MESSAGE_LENGTH)}…` : clean;
}

export function platformError(
  platform: Platform,
  init: Omit<ConstructorParameters<typeof PlatformError>[0], 'platform'>,
): PlatformError {
  const label = platform === 'instagram' ? 'Instagram' : 'TikTok';
  return new PlatformError({ ...init, platform, message: `${label} ${init.endpoint}: ${init.message}` });
}
