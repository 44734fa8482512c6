import { accountKey } from '../core/endpoints';
import { type SimRoute, type SimState } from '../server/types';
import { jsonReply } from '../server/wire';
import { ALL_TIKTOK_SCOPES } from './auth';

/**
 * GET www.tiktok.com/v2/auth/authorize/: a dialog that consents at once, for the dev stack. The account is
 * `sim_account` when given, else the seeded accounts in turn; PKCE challenges are remembered for the exchange.
 */
export function tiktokAuthorizeRoute(state: SimState): SimRoute {
  let nextAccount = 0;
  return {
    endpoint: 'tiktok.authorize',
    family: 'dialog',
    quota: null,
    identify: (req) =>
      req.query.get('sim_account') ? accountKey('tiktok', req.query.get('sim_account')!) : null,
    handle: (req) => {
      const app = state.settings.apps.tiktok;
      const redirectUri = req.query.get('redirect_uri');
      if (req.query.get('client_key') !== app.clientKey)
        return jsonReply(400, { error: 'invalid client_key' }, 'error');
      if (!redirectUri || (app.redirectUri && redirectUri !== app.redirectUri)) {
        return jsonReply(400, { error: 'redirect_uri does not match the registered one' }, 'error');
      }
      const accounts = state.accounts.list('tiktok');
      const chosen =
        req.query.get('sim_account') ?? accounts[nextAccount++ % Math.max(1, accounts.length)]?.externalId;
      if (!chosen || !state.accounts.find('tiktok', chosen))
        return jsonReply(404, { error: 'no such account' }, 'error');
      const requested = (req.query.get('scope') ?? ALL_TIKTOK_SCOPES.join(',')).split(',').filter(Boolean);
      const code = state.tiktokTokens.issueCode({
        account: accountKey('tiktok', chosen),
        redirectUri,
        scopes: requested,
        expiresAtMs: state.clock.nowMs() + state.settings.tiktok.codeLifetimeSeconds * 1000,
        codeChallenge: req.query.get('code_challenge'),
      });
      const query = new URLSearchParams({
        code: code.value,
        scopes: requested.join(','),
        state: req.query.get('state') ?? '',
      });
      return { status: 302, body: '', outcome: 'ok', headers: { location: `${redirectUri}?${query}` } };
    },
  };
}
