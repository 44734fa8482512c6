import type { SimAccount } from '../accounts/model';
import { externalIdOf } from '../core/endpoints';
import { type SimReply, type SimRequest, type SimState } from '../server/types';
import { bearerToken } from '../server/wire';
import { apiError } from './replies';
import type { TikTokAccessToken } from './tokens';

export type ApiAuth =
  { ok: true; token: TikTokAccessToken; account: SimAccount } | { ok: false; reply: SimReply };

/** v2 calls authenticate with `Authorization: Bearer act....` only (docs/platforms.md#tiktok-hosts-and-conventions). */
export function identifyByBearer(state: SimState, req: SimRequest): string | null {
  return state.tiktokTokens.findAccess(bearerToken(req))?.account ?? null;
}

export function authenticateApi(state: SimState, req: SimRequest): ApiAuth {
  const token = state.tiktokTokens.findAccess(bearerToken(req));
  const invalid = () =>
    apiError(state, 'access_token_invalid', 'The access token is invalid or not found in the request.', 401);
  if (!token || token.revoked || token.expiresAtMs <= state.clock.nowMs())
    return { ok: false, reply: invalid() };
  const account = state.accounts.find('tiktok', externalIdOf(token.account));
  if (!account) return { ok: false, reply: invalid() };
  return { ok: true, token, account };
}

/** Which scope each field needs (docs/platforms.md#tiktok-user-info; the 2024 scope migration). */
export const USER_FIELD_SCOPES: Record<string, string> = {
  open_id: 'user.info.basic',
  union_id: 'user.info.basic',
  avatar_url: 'user.info.basic',
  avatar_url_100: 'user.info.basic',
  avatar_large_url: 'user.info.basic',
  display_name: 'user.info.basic',
  bio_description: 'user.info.profile',
  profile_deep_link: 'user.info.profile',
  is_verified: 'user.info.profile',
  username: 'user.info.profile',
  follower_count: 'user.info.stats',
  following_count: 'user.info.stats',
  likes_count: 'user.info.stats',
  video_count: 'user.info.stats',
};

export const ALL_TIKTOK_SCOPES = ['user.info.basic', 'user.info.profile', 'user.info.stats', 'video.list'];

export function missingScope(state: SimState, scope: string): SimReply {
  const code = state.settings.tiktok.scopeError;
  const status = code === 'scope_not_authorized' ? 401 : 400;
  return apiError(
    state,
    code,
    `The user did not authorize the scope required for this request: ${scope}`,
    status,
  );
}
