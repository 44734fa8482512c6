import type { Platform } from '../../../platforms/types';

/**
 * Names the request log, fault injection and quotas use for each simulated endpoint. The TikTok token
 * endpoint is split by grant so a test can count an account's successful refreshes directly.
 */
export const SIM_ENDPOINTS = {
  'instagram.authorize': 'GET /oauth/authorize (dialog)',
  'instagram.oauth_token': 'POST api.instagram.com/oauth/access_token',
  'instagram.exchange_token': 'GET graph.instagram.com/access_token',
  'instagram.refresh_token': 'GET graph.instagram.com/refresh_access_token',
  'instagram.me': 'GET graph.instagram.com/me and /<ig_id>',
  'instagram.media': 'GET graph.instagram.com/me/media',
  'instagram.unknown': 'any other Graph path',
  'tiktok.authorize': 'GET /v2/auth/authorize/ (dialog)',
  'tiktok.token.authorization_code': 'POST /v2/oauth/token/ grant_type=authorization_code',
  'tiktok.token.refresh_token': 'POST /v2/oauth/token/ grant_type=refresh_token',
  'tiktok.token.other': 'POST /v2/oauth/token/ with a missing or unsupported grant',
  'tiktok.revoke': 'POST /v2/oauth/revoke/',
  'tiktok.user_info': 'GET /v2/user/info/',
  'tiktok.video_list': 'POST /v2/video/list/',
  'tiktok.video_query': 'POST /v2/video/query/',
  'tiktok.unknown': 'any other TikTok path',
} as const;

export type EndpointId = keyof typeof SIM_ENDPOINTS;

/** Which error shape an endpoint speaks: injected faults must look like the real thing. */
export type EndpointFamily = 'instagram-graph' | 'instagram-oauth' | 'tiktok-api' | 'tiktok-oauth' | 'dialog';

export function accountKey(platform: Platform, externalId: string): string {
  return `${platform}:${externalId}`;
}

/** The external id inside an `accountKey`. */
export function externalIdOf(key: string): string {
  return key.slice(key.indexOf(':') + 1);
}

export function isEndpointId(value: string): value is EndpointId {
  return Object.prototype.hasOwnProperty.call(SIM_ENDPOINTS, value);
}
