import { consentDialog } from '../server/dialog';
import { type SimRoute, type SimState } from '../server/types';
import { ALL_TIKTOK_SCOPES } from './auth';

/**
 * GET www.tiktok.com/v2/auth/authorize/: the consent screen, then a redirect with `?code=...&scopes=...`, or
 * with `?error=access_denied&error_description=...` when refused (server/dialog.ts: `sim_decision` and
 * `sim_account`); PKCE challenges are remembered for the exchange.
 */
export function tiktokAuthorizeRoute(state: SimState): SimRoute {
  const dialog = consentDialog(state, 'tiktok');
  return {
    endpoint: 'tiktok.authorize',
    family: 'dialog',
    quota: null,
    identify: (req) => dialog.identify(req),
    handle: (req) => {
      const { clientKey, redirectUri: registered } = state.settings.apps.tiktok;
      const requested = (req.query.get('scope') ?? ALL_TIKTOK_SCOPES.join(',')).split(',').filter(Boolean);
      const screen = {
        platformName: 'TikTok',
        url: state.urls?.tiktokAuthorizeUrl ?? '',
        scopes: requested,
        denial: { error_description: 'The user denied the authorization request.' },
      };
      const client = { param: 'client_key' as const, id: clientKey, redirectUri: registered };
      return dialog.run(req, client, screen, (given) => {
        const code = state.tiktokTokens.issueCode({
          account: given.account,
          redirectUri: given.redirectUri,
          scopes: requested,
          expiresAtMs: state.clock.nowMs() + state.settings.tiktok.codeLifetimeSeconds * 1000,
          codeChallenge: req.query.get('code_challenge'),
        });
        const query = new URLSearchParams({
          code: code.value,
          scopes: requested.join(','),
          state: req.query.get('state') ?? '',
        });
        return {
          status: 302,
          body: '',
          outcome: 'ok',
          headers: { location: `${given.redirectUri}?${query}` },
        };
      });
    },
  };
}
