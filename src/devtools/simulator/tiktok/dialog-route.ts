import { consentDialog } from '../server/dialog';
import { type SimRoute, type SimState } from '../server/types';
import { ALL_TIKTOK_SCOPES } from './auth';

/**
 * GET www.tiktok.com/v2/auth/authorize/: a dialog that consents at once, for the dev stack. The account is
 * `sim_account` when given, else the seeded accounts in turn; PKCE challenges are remembered for the exchange.
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
      const given = dialog.consent(req, { param: 'client_key', id: clientKey, redirectUri: registered });
      if ('status' in given) return given;
      const requested = (req.query.get('scope') ?? ALL_TIKTOK_SCOPES.join(',')).split(',').filter(Boolean);
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
      return { status: 302, body: '', outcome: 'ok', headers: { location: `${given.redirectUri}?${query}` } };
    },
  };
}
