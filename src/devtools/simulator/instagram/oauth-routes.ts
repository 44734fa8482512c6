import { externalIdOf } from '../core/endpoints';
import { consentDialog } from '../server/dialog';
import { type SimReply, type SimRequest, type SimRoute, type SimState } from '../server/types';
import { readForm, jsonReply } from '../server/wire';
import { oauthHostError } from './replies';

export const DEFAULT_INSTAGRAM_SCOPES = ['instagram_business_basic', 'instagram_business_manage_insights'];

/**
 * POST api.instagram.com/oauth/access_token: code -> short-lived token (docs/platforms.md#instagram-authorization-and-code-exchange). Codes are single use
 * and live 1 h; the redirect_uri must be the one the dialog was opened with.
 */
export function codeExchangeRoute(state: SimState): SimRoute {
  return {
    endpoint: 'instagram.oauth_token',
    family: 'instagram-oauth',
    quota: null,
    identify: (req) => state.instagramTokens.findCode(readForm(req)?.get('code') ?? '')?.account ?? null,
    handle: (req) => exchangeCode(state, req),
  };
}

function exchangeCode(state: SimState, req: SimRequest): SimReply {
  if (req.method !== 'POST')
    return oauthHostError(`Unsupported request - method type: ${req.method.toLowerCase()}`);
  const form = readForm(req);
  const app = state.settings.apps.instagram;
  if (!form?.get('client_id')) return oauthHostError('Missing required parameter: client_id');
  if (form.get('client_id') !== app.appId) return oauthHostError('Invalid platform app');
  if (form.get('client_secret') !== app.appSecret) return oauthHostError('Error validating client secret.');
  if (form.get('grant_type') !== 'authorization_code') return oauthHostError('Invalid grant_type');
  const code = state.instagramTokens.findCode(form.get('code') ?? '');
  if (!code || code.used) return oauthHostError('Matching code was not found or was already used');
  if (code.expiresAtMs <= state.clock.nowMs()) return oauthHostError('This authorization code has expired');
  if (code.redirectUri !== null && form.get('redirect_uri') !== code.redirectUri) {
    return oauthHostError(
      'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
    );
  }
  code.used = true;
  const behaviour = state.settings.instagram;
  const token = state.instagramTokens.issue(
    code.account,
    'short',
    state.clock.nowMs(),
    behaviour.shortLivedSeconds,
    code.scopes,
  );
  const userId = externalIdOf(code.account);
  const permissions = code.scopes.join(',');
  if (behaviour.exchangeShape === 'wrapped') {
    return jsonReply(200, { data: [{ access_token: token.value, user_id: userId, permissions }] }, 'ok');
  }
  // Flat shape: user_id as a bare JSON number above 2^53, exactly what breaks JSON.parse.
  const body = `{"access_token":${JSON.stringify(token.value)},"user_id":${userId}}`;
  return { status: 200, body, outcome: 'ok' };
}

/**
 * GET www.instagram.com/oauth/authorize: the consent screen, then a redirect with `?code=...#_` like the real
 * one, or with `?error=access_denied&error_reason=user_denied&error_description=...` when refused
 * (server/dialog.ts: `sim_decision` and `sim_account`).
 */
export function authorizeRoute(state: SimState): SimRoute {
  const dialog = consentDialog(state, 'instagram');
  return {
    endpoint: 'instagram.authorize',
    family: 'dialog',
    quota: null,
    identify: (req) => dialog.identify(req),
    handle: (req) => {
      const { appId, redirectUri: registered } = state.settings.apps.instagram;
      const scopes = (req.query.get('scope') ?? DEFAULT_INSTAGRAM_SCOPES.join(','))
        .split(/[,\s]+/)
        .filter(Boolean);
      const screen = {
        platformName: 'Instagram',
        url: state.urls?.instagramAuthorizeUrl ?? '',
        scopes,
        denial: { error_reason: 'user_denied', error_description: 'The user denied your request' },
      };
      return dialog.run(req, { param: 'client_id', id: appId, redirectUri: registered }, screen, (given) => {
        const expiresAtMs = state.clock.nowMs() + state.settings.instagram.codeLifetimeSeconds * 1000;
        const code = state.instagramTokens.issueCode(given.account, given.redirectUri, scopes, expiresAtMs);
        const query = new URLSearchParams({ code: code.value, state: req.query.get('state') ?? '' });
        const location = `${given.redirectUri}?${query}#_`;
        return { status: 302, body: '', outcome: 'ok', headers: { location } };
      });
    },
  };
}
