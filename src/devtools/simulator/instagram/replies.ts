import type { EndpointFamily } from '../core/endpoints';
import type { FaultAction } from '../core/faults';
import type { InstagramVerdict } from '../core/quotas';
import { newFbTraceId } from '../core/secrets';
import type { Outcome } from '../core/request-log';
import { genericFault } from '../server/generic-fault';
import { type SimReply, type SimState } from '../server/types';
import { jsonReply } from '../server/wire';

export interface GraphErrorInit {
  code: number;
  message: string;
  subcode?: number;
  status?: number;
  isTransient?: boolean;
}

/** Meta's Graph envelope (docs/platforms.md#instagram-errors); `type` mixes OAuthException and IGApiException like the real host. */
export function graphError(state: SimState, init: GraphErrorInit, outcome: Outcome = 'error'): SimReply {
  const fbtraceId = newFbTraceId();
  const error: Record<string, unknown> = {
    message: init.message,
    type: init.code === 190 || init.code === 4 ? 'OAuthException' : 'IGApiException',
    code: init.code,
  };
  if (init.subcode !== undefined) error.error_subcode = init.subcode;
  if (init.isTransient !== undefined) error.is_transient = init.isTransient;
  error.fbtrace_id = fbtraceId;
  const status = init.status ?? state.settings.instagram.errorStatus;
  return jsonReply(status, { error }, outcome, { 'x-fb-trace-id': fbtraceId });
}

/** api.instagram.com speaks another shape: `{error_type, code, error_message}` (docs/platforms.md#instagram-authorization-and-code-exchange). */
export function oauthHostError(message: string, status = 400): SimReply {
  return jsonReply(status, { error_type: 'OAuthException', code: status, error_message: message }, 'error');
}

export function graphOk(body: unknown): SimReply {
  return jsonReply(200, body, 'ok', { 'x-fb-trace-id': newFbTraceId() });
}

/** `2019-04-05T07:56:32+0000`: Meta's format, without a colon in the offset. */
export function metaTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

export function throttledReply(state: SimState, verdict: InstagramVerdict): SimReply {
  const status = state.settings.instagram.throttleStatus;
  if (verdict.exhausted === 'app') {
    return graphError(
      state,
      { code: 4, status, isTransient: true, message: '(#4) Application request limit reached' },
      'throttled',
    );
  }
  const code = state.settings.quotas.instagram.throttleCode;
  return graphError(state, { code, status, isTransient: true, message: throttleMessage(code) }, 'throttled');
}

function throttleMessage(code: number): string {
  return code === 80002
    ? '(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.'
    : `(#${code}) Calls to this api have exceeded the rate limit.`;
}

/** X-App-Usage / X-Business-Use-Case-Usage, sent only past the configured threshold (docs/platforms.md#instagram-rate-limits-and-usage-headers). */
export function usageHeaders(
  state: SimState,
  externalId: string,
  verdict: InstagramVerdict,
): Record<string, string> {
  const quota = state.settings.quotas.instagram;
  if (Math.max(verdict.businessPercent, verdict.appPercent) < quota.usageHeadersFromPercent) return {};
  const headers: Record<string, string> = {};
  if (quota.usageHeaders !== 'app') {
    const usage = {
      type: 'instagram',
      call_count: verdict.businessPercent,
      total_cputime: Math.floor(verdict.businessPercent * 0.8),
      total_time: Math.floor(verdict.businessPercent * 0.9),
      estimated_time_to_regain_access: verdict.exhausted === 'business' ? verdict.regainMinutes : 0,
    };
    headers['x-business-use-case-usage'] = JSON.stringify({ [externalId]: [usage] });
  }
  if (quota.usageHeaders !== 'business') {
    const app = verdict.appPercent;
    headers['x-app-usage'] = JSON.stringify({ call_count: app, total_time: app, total_cputime: app });
  }
  return headers;
}

/** An injected failure, dressed as the endpoint's own error shape. */
export function instagramFault(state: SimState, family: EndpointFamily, action: FaultAction): SimReply {
  if (action.type === 'rate_limited') {
    const code = action.instagramCode ?? 4;
    const reply = graphError(
      state,
      {
        code,
        status: state.settings.instagram.throttleStatus,
        isTransient: true,
        message: code === 4 ? '(#4) Application request limit reached' : throttleMessage(code),
      },
      'throttled',
    );
    if (action.retryAfterSeconds === undefined) return reply;
    return { ...reply, headers: { ...reply.headers, 'retry-after': String(action.retryAfterSeconds) } };
  }
  if (action.type === 'transient' && action.variant === 'platform') {
    if (family === 'instagram-oauth') return oauthHostError('An unknown error has occurred.', 500);
    const message = 'An unexpected error has occurred. Please retry your request later.';
    return graphError(state, {
      code: 2,
      isTransient: true,
      status: state.settings.instagram.transientStatus,
      message,
    });
  }
  return genericFault(action, state.random);
}
