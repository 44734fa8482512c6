import type { z } from 'zod';
import {
  answerContext,
  logFailures,
  parseAnswerBody,
  parseSuccessBody,
  send,
  type HttpResponse,
  type PlatformCall,
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

/**
 * A Display API call. `error.code` is checked on every answer, HTTP 200 included: integrators see error
 * bodies under 200 (docs/platforms.md#tiktok-errors).
 */
export async function callTikTokApi<T extends z.ZodType>(
  transport: Transport,
  now: () => Date,
  call: PlatformCall,
  schema: T,
): Promise<PlatformResult<z.output<T>>> {
  return logFailures(transport, async () => {
    const response = await send(transport, call);
    const body = parseAnswerBody(response.text, call);
    const envelope = apiErrorEnvelopeSchema.safeParse(body);
    const requestId = (envelope.success ? envelope.data.error.log_id : undefined) ?? logIdHeader(response);
    if (envelope.success && envelope.data.error.code !== 'ok') {
      const { code, message } = envelope.data.error;
      throw tiktokError('api', code, message, answerContext(call, response, requestId, now()));
    }
    if (response.status >= 400)
      throw tiktokError('api', null, '', answerContext(call, response, requestId, now()));
    const value = parseSuccessBody('tiktok', call.endpoint, schema, body, requestId);
    return { value, usage: null, requestId };
  });
}

/** The token endpoint: success is decided by the presence of `access_token`, not by the status (docs/platforms.md#tiktok-code-exchange). */
export async function callTikTokOauth(
  transport: Transport,
  now: () => Date,
  call: PlatformCall,
): Promise<PlatformResult<TikTokTokenResponse>> {
  return logFailures(transport, async () => {
    const response = await send(transport, call);
    const body = parseAnswerBody(response.text, call);
    const oauthError = oauthErrorSchema.safeParse(body);
    const requestId = (oauthError.success ? oauthError.data.log_id : undefined) ?? logIdHeader(response);
    const hasToken = typeof (body as { access_token?: unknown } | undefined)?.access_token === 'string';
    if (!hasToken && oauthError.success) {
      const { error, error_description } = oauthError.data;
      throw tiktokError('oauth', error, error_description, answerContext(call, response, requestId, now()));
    }
    if (!hasToken && response.status >= 400) {
      throw tiktokError('oauth', null, '', answerContext(call, response, requestId, now()));
    }
    const value = parseSuccessBody('tiktok', call.endpoint, tokenResponseSchema, body, requestId);
    return { value, usage: null, requestId };
  });
}

function logIdHeader(response: HttpResponse): string | null {
  return response.headers.get('x-tt-logid');
}
