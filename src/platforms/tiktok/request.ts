import type { z } from 'zod';
import {
  logFailures,
  malformedError,
  parseJsonLosslessly,
  parseRetryAfterMs,
  parseWithSchema,
  send,
  type HttpCall,
  type HttpResponse,
  type Transport,
} from '../http';
import type { PlatformResult } from '../types';
import { tiktokError } from './errors';
import {
  apiErrorEnvelopeSchema,
  oauthErrorSchema,
  tokenResponseSchema,
  type TikTokTokenResponse,
} from './schemas';

export interface TikTokCall extends HttpCall {
  secrets: readonly string[];
}

/**
 * A Display API call. `error.code` is checked on every answer, HTTP 200 included: integrators see error
 * bodies under 200 (contract 2.7).
 */
export async function callTikTokApi<T extends z.ZodType>(
  transport: Transport,
  now: () => Date,
  call: TikTokCall,
  schema: T,
): Promise<PlatformResult<z.output<T>>> {
  return logFailures(transport, async () => {
    const response = await send(transport, call);
    const body = parseJsonLosslessly(response.text);
    const envelope = apiErrorEnvelopeSchema.safeParse(body);
    const requestId = (envelope.success ? envelope.data.error.log_id : undefined) ?? logIdHeader(response);
    if (envelope.success && envelope.data.error.code !== 'ok') {
      const { code, message } = envelope.data.error;
      throw tiktokError('api', code, message, errorContext(call, response, requestId, now));
    }
    if (response.status >= 400)
      throw tiktokError('api', null, '', errorContext(call, response, requestId, now));
    if (body === undefined)
      throw malformedError('tiktok', call.endpoint, 'response body is not JSON', requestId);
    return {
      value: parseWithSchema('tiktok', call.endpoint, schema, body, requestId),
      usage: null,
      requestId,
    };
  });
}

/** The token endpoint: success is decided by the presence of `access_token`, not by the status (contract 2.4). */
export async function callTikTokOauth(
  transport: Transport,
  now: () => Date,
  call: TikTokCall,
): Promise<PlatformResult<TikTokTokenResponse>> {
  return logFailures(transport, async () => {
    const response = await send(transport, call);
    const body = parseJsonLosslessly(response.text);
    const oauthError = oauthErrorSchema.safeParse(body);
    const requestId = (oauthError.success ? oauthError.data.log_id : undefined) ?? logIdHeader(response);
    const hasToken = typeof (body as { access_token?: unknown } | undefined)?.access_token === 'string';
    if (!hasToken && oauthError.success) {
      const { error, error_description } = oauthError.data;
      throw tiktokError('oauth', error, error_description, errorContext(call, response, requestId, now));
    }
    if (!hasToken && response.status >= 400) {
      throw tiktokError('oauth', null, '', errorContext(call, response, requestId, now));
    }
    if (body === undefined)
      throw malformedError('tiktok', call.endpoint, 'response body is not JSON', requestId);
    const value = parseWithSchema('tiktok', call.endpoint, tokenResponseSchema, body, requestId);
    return { value, usage: null, requestId };
  });
}

function logIdHeader(response: HttpResponse): string | null {
  return response.headers.get('x-tt-logid');
}

function errorContext(call: TikTokCall, response: HttpResponse, requestId: string | null, now: () => Date) {
  return {
    endpoint: call.endpoint,
    httpStatus: response.status,
    requestId,
    retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after'), now()),
    secrets: call.secrets,
  };
}
