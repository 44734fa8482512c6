import { createHash } from 'node:crypto';
import { externalIdOf, type EndpointId } from '../core/endpoints';
import { TIKTOK_LIFETIME_PRESETS } from '../core/options';
import { type SimReply, type SimRequest, type SimRoute, type SimState } from '../server/types';
import { jsonReply } from '../server/wire';
import { oauthError } from './replies';
import type { Lifetimes, TikTokRefreshToken } from './tokens';

/** Only a form body is accepted: JSON or a header-borne grant_type is "malformed" (docs/platforms.md#tiktok-pitfalls). */
function readTokenForm(req: SimRequest): URLSearchParams | null {
  const type = String(req.headers['content-type'] ?? '');
  return type.startsWith('application/x-www-form-urlencoded')
    ? new URLSearchParams(req.body.toString('utf8'))
    : null;
}

export function lifetimesOf(state: SimState): Lifetimes {
  const { lifetimes } = state.settings.tiktok;
  return typeof lifetimes === 'string' ? TIKTOK_LIFETIME_PRESETS[lifetimes] : lifetimes;
}

/** POST /v2/oauth/token/, one route object per grant so the request log counts refreshes apart. */
export function tokenRoute(state: SimState, endpoint: EndpointId): SimRoute {
  return {
    endpoint,
    family: 'tiktok-oauth',
    quota: null,
    identify: (req) => {
      const form = readTokenForm(req);
      if (!form) return null;
      const tokens = state.tiktokTokens;
      return (
        tokens.findRefresh(form.get('refresh_token'))?.account ??
        tokens.findCode(form.get('code') ?? '')?.account ??
        null
      );
    },
    handle: (req) => issueTokens(state, req),
  };
}

export function grantOf(req: SimRequest): 'authorization_code' | 'refresh_token' | null {
  const grant = readTokenForm(req)?.get('grant_type');
  return grant === 'authorization_code' || grant === 'refresh_token' ? grant : null;
}

/** The form of a POST by our registered app (client key + secret), or the OAuth error that answers it. */
function readAppForm(state: SimState, req: SimRequest): URLSearchParams | SimReply {
  const form = readTokenForm(req);
  if (req.method !== 'POST' || !form)
    return oauthError(state, 'invalid_request', 'The request parameters are malformed.');
  const app = state.settings.apps.tiktok;
  if (form.get('client_key') !== app.clientKey || form.get('client_secret') !== app.clientSecret) {
    return oauthError(state, 'invalid_client', 'Client key or secret is incorrect.');
  }
  return form;
}

function issueTokens(state: SimState, req: SimRequest): SimReply {
  const form = readAppForm(state, req);
  if (!(form instanceof URLSearchParams)) return form;
  const grant = form.get('grant_type');
  if (!grant) return oauthError(state, 'invalid_request', 'grant_type is required.');
  if (grant === 'authorization_code') return redeemCode(state, form);
  if (grant === 'refresh_token') return rotate(state, form);
  return oauthError(state, 'unsupported_grant_type', `Grant type ${grant} is not supported.`);
}

function redeemCode(state: SimState, form: URLSearchParams): SimReply {
  const nowMs = state.clock.nowMs();
  const code = state.tiktokTokens.findCode(form.get('code') ?? '');
  if (!code || code.used || code.expiresAtMs <= nowMs)
    return oauthError(state, 'invalid_grant', 'Authorization code is expired or invalid.');
  if (code.redirectUri !== null && form.get('redirect_uri') !== code.redirectUri) {
    return oauthError(
      state,
      'invalid_request',
      'Redirect_uri is not matched with the uri when requesting code.',
    );
  }
  if (code.codeChallenge && !verifierMatches(form.get('code_verifier'), code.codeChallenge)) {
    return oauthError(state, 'invalid_grant', 'Code verifier is invalid.');
  }
  code.used = true;
  const lifetimes = lifetimesOf(state);
  const refresh = state.tiktokTokens.issueRefresh(
    code.account,
    nowMs,
    lifetimes,
    code.scopes,
    state.settings.tiktok.refreshWindow,
  );
  return tokenAnswer(state, refresh, lifetimes, nowMs);
}

/** Strict rotation: a new rft. each time and the old one is dead. Lenient: the same string lives on. */
function rotate(state: SimState, form: URLSearchParams): SimReply {
  const nowMs = state.clock.nowMs();
  const current = state.tiktokTokens.findRefresh(form.get('refresh_token'));
  if (!current || current.dead || current.expiresAtMs <= nowMs) {
    return oauthError(state, 'invalid_grant', 'Refresh token is invalid or expired.');
  }
  const { rotation, refreshWindow } = state.settings.tiktok;
  const lifetimes = lifetimesOf(state);
  let refresh = current;
  if (rotation === 'strict') {
    refresh = state.tiktokTokens.issueRefresh(
      current.account,
      nowMs,
      lifetimes,
      current.scopes,
      refreshWindow,
      current,
    );
    current.dead = true;
  } else if (refreshWindow === 'sliding') {
    current.expiresAtMs = nowMs + lifetimes.refreshSeconds * 1000;
  }
  return tokenAnswer(state, refresh, lifetimes, nowMs);
}

/** `refresh_expires_in` is the remaining lifetime (2026 docs), which equals the full one on a new chain. */
function tokenAnswer(
  state: SimState,
  refresh: TikTokRefreshToken,
  lifetimes: Lifetimes,
  nowMs: number,
): SimReply {
  const access = state.tiktokTokens.issueAccess(refresh.account, nowMs, lifetimes, refresh.scopes);
  const body = {
    access_token: access.value,
    expires_in: lifetimes.accessSeconds,
    open_id: externalIdOf(refresh.account),
    refresh_expires_in: Math.max(0, Math.floor((refresh.expiresAtMs - nowMs) / 1000)),
    refresh_token: refresh.value,
    scope: refresh.scopes.join(','),
    token_type: 'Bearer',
  };
  return jsonReply(200, body, 'ok');
}

/** S256: base64url of SHA-256 (RFC 7636); TikTok's desktop flow documents the hex digest, so both pass. */
function verifierMatches(verifier: string | null, challenge: string): boolean {
  if (!verifier) return false;
  const digest = createHash('sha256').update(verifier).digest();
  return challenge === digest.toString('base64url') || challenge.toLowerCase() === digest.toString('hex');
}

/** POST /v2/oauth/revoke/: kills the access token (and, by default, the refresh tokens); answers `{}`. */
export function revokeRoute(state: SimState): SimRoute {
  return {
    endpoint: 'tiktok.revoke',
    family: 'tiktok-oauth',
    quota: null,
    identify: (req) =>
      state.tiktokTokens.findAccess(readTokenForm(req)?.get('token') ?? null)?.account ?? null,
    handle: (req) => {
      const form = readAppForm(state, req);
      if (!(form instanceof URLSearchParams)) return form;
      const token = state.tiktokTokens.findAccess(form.get('token'));
      if (!token) return oauthError(state, 'invalid_request', 'The token is invalid.');
      state.tiktokTokens.revokeAccount(token.account, state.settings.tiktok.revokeKillsRefreshToken);
      return jsonReply(200, {}, 'ok');
    },
  };
}
