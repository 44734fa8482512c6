import type { Platform } from '../../../platforms/types';
import { accountKey } from '../core/endpoints';
import { SimulatorError } from '../core/errors';
import { DEFAULT_INSTAGRAM_SCOPES } from '../instagram/oauth-routes';
import { INSTAGRAM_INVALIDATIONS, type InstagramInvalidation } from '../instagram/tokens';
import type { SimState } from '../server/types';
import { ALL_TIKTOK_SCOPES } from '../tiktok/auth';
import { lifetimesOf } from '../tiktok/oauth-routes';
import type { IssuedTokens } from './views';

export interface AuthCodeOptions {
  scopes?: string[];
  /** Defaults to the app's registered redirect URI; null accepts any at exchange. */
  redirectUri?: string | null;
  /** TikTok PKCE challenge (S256). */
  codeChallenge?: string;
}

export interface IssueTokenOptions {
  /** Back-date the tokens, e.g. 25 h ago so an Instagram refresh is allowed at once. Defaults to now. */
  issuedAt?: Date;
  scopes?: string[];
}

export const INVALIDATION_REASONS = {
  instagram: [...Object.keys(INSTAGRAM_INVALIDATIONS).filter((reason) => reason !== 'replaced'), 'expired'],
  tiktok: ['revoked', 'expired'],
} as const;

/** A code as the OAuth dialog would have produced it, and the callback URL the browser would land on. */
export function issueAuthCode(
  state: SimState,
  platform: Platform,
  externalId: string,
  options: AuthCodeOptions = {},
) {
  state.accounts.get(platform, externalId);
  const key = accountKey(platform, externalId);
  const nowMs = state.clock.nowMs();
  if (platform === 'instagram') {
    const redirectUri =
      options.redirectUri === undefined ? state.settings.apps.instagram.redirectUri : options.redirectUri;
    const expiresAtMs = nowMs + state.settings.instagram.codeLifetimeSeconds * 1000;
    const code = state.instagramTokens.issueCode(
      key,
      redirectUri,
      options.scopes ?? DEFAULT_INSTAGRAM_SCOPES,
      expiresAtMs,
    );
    return {
      code: code.value,
      callbackUrl: `${redirectUri ?? 'https://socialsync.test/callback'}?code=${code.value}&state=sim#_`,
    };
  }
  const redirectUri =
    options.redirectUri === undefined ? state.settings.apps.tiktok.redirectUri : options.redirectUri;
  const code = state.tiktokTokens.issueCode({
    account: key,
    redirectUri,
    scopes: options.scopes ?? ALL_TIKTOK_SCOPES,
    expiresAtMs: nowMs + state.settings.tiktok.codeLifetimeSeconds * 1000,
    codeChallenge: options.codeChallenge ?? null,
  });
  const query = new URLSearchParams({ code: code.value, state: 'sim' });
  return { code: code.value, callbackUrl: `${redirectUri ?? 'https://socialsync.test/callback'}?${query}` };
}

/** Tokens minted directly (no OAuth round trip), e.g. to seed a database for a workflow test. */
export function issueTokens(
  state: SimState,
  platform: Platform,
  externalId: string,
  options: IssueTokenOptions = {},
): IssuedTokens {
  state.accounts.get(platform, externalId);
  const key = accountKey(platform, externalId);
  const issuedAtMs = options.issuedAt?.getTime() ?? state.clock.nowMs();
  if (platform === 'instagram') {
    const lifetime = state.settings.instagram.longLivedExpiresInSeconds;
    const scopes = options.scopes ?? DEFAULT_INSTAGRAM_SCOPES;
    const token = state.instagramTokens.issue(key, 'long', issuedAtMs, lifetime, scopes);
    return tokenSet(platform, externalId, token.value, token.expiresAtMs, null, null, issuedAtMs, scopes);
  }
  const lifetimes = lifetimesOf(state);
  const scopes = options.scopes ?? ALL_TIKTOK_SCOPES;
  const refresh = state.tiktokTokens.issueRefresh(
    key,
    issuedAtMs,
    lifetimes,
    scopes,
    state.settings.tiktok.refreshWindow,
  );
  const access = state.tiktokTokens.issueAccess(key, issuedAtMs, lifetimes, scopes);
  return tokenSet(
    platform,
    externalId,
    access.value,
    access.expiresAtMs,
    refresh.value,
    refresh.expiresAtMs,
    issuedAtMs,
    scopes,
  );
}

/**
 * Kills every token the account holds. Instagram: password_changed (190/460), app_removed (190/458),
 * checkpoint (190/459), logged_out (190/467), expired (190/463). TikTok: revoked (access and refresh
 * tokens), expired (access tokens only).
 */
export function invalidateTokens(
  state: SimState,
  platform: Platform,
  externalId: string,
  reason: string,
): void {
  state.accounts.get(platform, externalId);
  const key = accountKey(platform, externalId);
  const nowMs = state.clock.nowMs();
  if (!(INVALIDATION_REASONS[platform] as readonly string[]).includes(reason)) {
    throw new SimulatorError(`reason must be one of ${INVALIDATION_REASONS[platform].join(', ')}`);
  }
  if (platform === 'instagram')
    state.instagramTokens.invalidateAccount(key, reason as InstagramInvalidation, nowMs);
  else if (reason === 'revoked') state.tiktokTokens.revokeAccount(key, true);
  else state.tiktokTokens.expireAccount(key, nowMs);
}

/** One token only: an Instagram access token (default reason logged_out), a TikTok access or refresh token. */
export function revokeToken(state: SimState, platform: Platform, token: string, reason = 'logged_out'): void {
  const nowMs = state.clock.nowMs();
  if (platform === 'instagram') {
    const found = state.instagramTokens.find(token);
    if (!found) throw new SimulatorError('unknown token', 404);
    if (!(INVALIDATION_REASONS.instagram as readonly string[]).includes(reason)) {
      throw new SimulatorError(`reason must be one of ${INVALIDATION_REASONS.instagram.join(', ')}`);
    }
    state.instagramTokens.invalidate(found, reason as InstagramInvalidation, nowMs);
    return;
  }
  const access = state.tiktokTokens.findAccess(token);
  const refresh = state.tiktokTokens.findRefresh(token);
  if (!access && !refresh) throw new SimulatorError('unknown token', 404);
  if (access) access.revoked = true;
  if (refresh) refresh.dead = true;
}

function tokenSet(
  platform: Platform,
  externalId: string,
  accessToken: string,
  accessExpiresAtMs: number,
  refreshToken: string | null,
  refreshExpiresAtMs: number | null,
  issuedAtMs: number,
  scopes: string[],
): IssuedTokens {
  return {
    platform,
    externalId,
    accessToken,
    accessExpiresAt: new Date(accessExpiresAtMs),
    refreshToken,
    refreshExpiresAt: refreshExpiresAtMs === null ? null : new Date(refreshExpiresAtMs),
    obtainedAt: new Date(issuedAtMs),
    scopes: [...scopes],
  };
}
