import type { z } from 'zod';
import {
  answerContext,
  logFailures,
  parseAnswerBody,
  parseSuccessBody,
  send,
  type PlatformCall,
  type Transport,
} from '../http';
import type { PlatformResult } from '../types';
import { instagramError, readMetaError } from './errors';
import { parseUsageHeaders } from './usage';

/**
 * One Graph or OAuth call: send, read usage headers, detect Meta's error envelopes (whatever the HTTP
 * status), then validate the success body with `schema`.
 */
export async function callInstagram<T extends z.ZodType>(
  transport: Transport,
  now: () => Date,
  call: PlatformCall,
  schema: T,
): Promise<PlatformResult<z.output<T>>> {
  return logFailures(transport, async () => {
    const response = await send(transport, call);
    const usage = parseUsageHeaders(response.headers);
    const body = parseAnswerBody(response.text, call);
    const metaError = readMetaError(body);
    const requestId = metaError?.fbtraceId ?? response.headers.get('x-fb-trace-id');
    if (metaError || response.status >= 400) {
      throw instagramError(metaError, { ...answerContext(call, response, requestId, now()), usage });
    }
    const value = parseSuccessBody('instagram', call.endpoint, schema, body, requestId);
    return { value, usage, requestId };
  });
}
