import { isPlatformError, type PlatformError } from '../errors';
import type { PlatformResult } from '../types';
import type { InstagramContext } from './context';
import { callInstagram } from './request';
import { codeExchangeSchema, longLivedTokenSchema } from './schemas';

export interface ShortLivedToken {
  accessToken: string;
  /** Exact digits: the flat response sends it as a JSON number above 2^53. */
  userId: string;
  scopes: string[];
}

export interface LongLivedToken {
  accessToken: string;
  expiresInSeconds: number;
  scopes: string[];
}

/** The token's age is the one thing the too-young refusal can be recognised by: Meta documents no code. */
const TOO_YOUNG_MESSAGE = /24 hours|too young|too new|not old enough/i;

/**
 * Code -> short-lived token (1 h), on api.instagram.com. Both answer shapes are accepted.
 * https://developers.facebook.com/docs/instagram-platform/reference/oauth-access-token
 */
export async function requestShortLivedToken(
  ctx: InstagramContext,
  code: string,
): Promise<PlatformResult<ShortLivedToken>> {
  // The redirect appends `#_`, which is not part of the code (docs/platforms.md#instagram-authorization-and-code-exchange).
  const cleanCode = code.trim().replace(/#_?$/, '');
  const { appId, appSecret, redirectUri, oauthUrl } = ctx.settings;
  const body = new URLSearchParams({
    client_id: appId,
    client_secret: appSecret,
    grant_type: 'authorization_code',
    redirect_uri: redirectUri,
    code: cleanCode,
  });
  const call = {
    endpoint: 'POST /oauth/access_token',
    url: `${oauthUrl}/oauth/access_token`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
    secrets: [cleanCode, appSecret],
    largeIntegers: true,
  };
  const reply = await callInstagram(ctx.transport, ctx.now, call, codeExchangeSchema);
  const { access_token, user_id, permissions } = reply.value;
  return { ...reply, value: { accessToken: access_token, userId: user_id, scopes: permissions } };
}

/**
 * Short-lived -> long-lived token (~60 days). Server side only: it carries the app secret.
 * https://developers.facebook.com/docs/instagram-platform/reference/access_token
 */
export function requestLongLivedToken(
  ctx: InstagramContext,
  shortLivedToken: string,
): Promise<PlatformResult<LongLivedToken>> {
  const query = new URLSearchParams({
    grant_type: 'ig_exchange_token',
    client_secret: ctx.settings.appSecret,
    access_token: shortLivedToken,
  });
  const url = `${ctx.settings.graphUrl}/access_token?${query}`;
  return tokenGet(ctx, 'GET /access_token', url, [shortLivedToken, ctx.settings.appSecret]);
}

/**
 * Long-lived token -> a new one valid 60 days from now. GET only: POST is refused (docs/platforms.md#instagram-long-lived-tokens-and-refresh).
 * https://developers.facebook.com/docs/instagram-platform/reference/refresh_access_token
 */
export function requestRefreshedToken(
  ctx: InstagramContext,
  accessToken: string,
): Promise<PlatformResult<LongLivedToken>> {
  const query = new URLSearchParams({ grant_type: 'ig_refresh_token', access_token: accessToken });
  const url = `${ctx.settings.graphUrl}/refresh_access_token?${query}`;
  return tokenGet(ctx, 'GET /refresh_access_token', url, [accessToken]);
}

async function tokenGet(
  ctx: InstagramContext,
  endpoint: string,
  url: string,
  secrets: string[],
): Promise<PlatformResult<LongLivedToken>> {
  const reply = await callInstagram(
    ctx.transport,
    ctx.now,
    { endpoint, url, method: 'GET', secrets },
    longLivedTokenSchema,
  );
  const { access_token, expires_in, permissions } = reply.value;
  return {
    ...reply,
    value: { accessToken: access_token, expiresInSeconds: expires_in, scopes: permissions },
  };
}

/** A refusal to refresh because the token is under 24 h old; rate limits and outages are not that. */
export function isTooYoungRefusal(error: unknown): error is PlatformError {
  if (!isPlatformError(error)) return false;
  if (error.kind === 'transient' || error.kind === 'rate_limited') return false;
  return TOO_YOUNG_MESSAGE.test(error.message);
}
