import type { EndpointFamily } from '../core/endpoints';
import type { FaultAction } from '../core/faults';
import type { Outcome } from '../core/request-log';
import { newLogId } from '../core/secrets';
import { genericFault } from '../server/generic-fault';
import { type SimReply, type SimState } from '../server/types';
import { jsonReply } from '../server/wire';

/** `{data, error:{code:"ok", message:"", log_id}}`, with the log id also in the x-tt-logid header. */
export function apiOk(state: SimState, data: unknown): SimReply {
  const logId = newLogId(state.clock.now());
  return jsonReply(200, { data, error: { code: 'ok', message: '', log_id: logId } }, 'ok', {
    'x-tt-logid': logId,
  });
}

/** Documented statuses (docs/platforms.md#tiktok-errors), or all of them under HTTP 200 when the observed quirk is on. */
export function apiError(
  state: SimState,
  code: string,
  message: string,
  status: number,
  outcome: Outcome = 'error',
): SimReply {
  const logId = newLogId(state.clock.now());
  const sent = state.settings.tiktok.errorsWithHttp200 ? 200 : status;
  return jsonReply(sent, { data: {}, error: { code, message, log_id: logId } }, outcome, {
    'x-tt-logid': logId,
  });
}

/** OAuth failures: `{error, error_description, log_id}` under 400 or 200 (docs/platforms.md#tiktok-code-exchange; the status is undocumented). */
export function oauthError(state: SimState, error: string, description: string): SimReply {
  const logId = newLogId(state.clock.now());
  const body = { error, error_description: description, log_id: logId };
  return jsonReply(state.settings.tiktok.oauthErrorStatus, body, 'error', { 'x-tt-logid': logId });
}

/** TikTok documents no Retry-After; an injected 429 may carry one to show that clients honour it. */
export function rateLimited(state: SimState, retryAfterSeconds?: number): SimReply {
  const message = 'The API rate limit was exceeded. Please try again later.';
  const reply = apiError(state, 'rate_limit_exceeded', message, 429, 'throttled');
  if (retryAfterSeconds === undefined) return reply;
  return { ...reply, headers: { ...reply.headers, 'retry-after': String(retryAfterSeconds) } };
}

export function invalidParams(state: SimState, message: string): SimReply {
  return apiError(state, 'invalid_params', message, 400);
}

/** An injected failure, dressed as the endpoint's own error shape. */
export function tiktokFault(state: SimState, family: EndpointFamily, action: FaultAction): SimReply {
  if (action.type === 'rate_limited') return rateLimited(state, action.retryAfterSeconds);
  if (action.type === 'transient' && action.variant === 'platform') {
    if (family === 'tiktok-oauth')
      return oauthError(state, 'temporarily_unavailable', 'The server is temporarily unavailable.');
    return apiError(state, 'internal_error', 'Something went wrong. Please try again later.', 500);
  }
  return genericFault(action, state.random);
}
