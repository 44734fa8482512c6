import type { z } from 'zod';
import {
  logFailures,
  malformedError,
  parseJsonLosslessly,
  parseRetryAfterMs,
  parseWithSchema,
  send,
  type HttpCall,
  type Transport,
} from '../http';
import type { PlatformUsage } from '../types';
import { instagramError, readMetaError } from './errors';
import { parseUsageHeaders } from './usage';

export interface InstagramReply<T> {
  value: T;
  usage: PlatformUsage | null;
  requestId: string | null;
}

export interface InstagramCall extends HttpCall {
  /** Every secret the call carries (token, app secret, code), so none can leak through a quoted message. */
  secrets: readonly string[];
}

/**
 * One Graph or OAuth call: send, read usage headers, detect Meta's error envelopes (whatever the HTTP
 * status), then validate the success body with `schema`.
 */
export async function callInstagram<T extends z.ZodType>(
  transport: Transport,
  now: () => Date,
  call: InstagramCall,
  schema: T,
): Promise<InstagramReply<z.output<T>>> {
  return logFailures(transport, async () => {
    const response = await send(transport, call);
    const usage = parseUsageHeaders(response.headers);
    const body = parseJsonLosslessly(response.text);
    const metaError = readMetaError(body);
    const requestId = metaError?.fbtraceId ?? response.headers.get('x-fb-trace-id');
    if (metaError || response.status >= 400) {
      throw instagramError(metaError, {
        endpoint: call.endpoint,
        httpStatus: response.status,
        requestId,
        usage,
        retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after'), now()),
        secrets: call.secrets,
      });
    }
    if (body === undefined)
      throw malformedError('instagram', call.endpoint, 'response body is not JSON', requestId);
    return { value: parseWithSchema('instagram', call.endpoint, schema, body, requestId), usage, requestId };
  });
}
