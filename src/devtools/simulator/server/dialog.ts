import type { Platform } from '../../../platforms/types';
import { accountKey } from '../core/endpoints';
import type { SimReply, SimRequest, SimState } from './types';
import { jsonReply } from './wire';

/** The app a dialog was opened for, as registered: the query parameter naming it, its id, its redirect URI. */
export interface DialogClient {
  param: 'client_id' | 'client_key';
  id: string;
  redirectUri: string | null;
}

/** Where the consent sends the browser back, and the account (`accountKey`) that consented. */
export interface Consent {
  redirectUri: string;
  account: string;
}

/**
 * What both OAuth dialogs check before issuing a code (our client id, the registered redirect URI), and the
 * account that consents at once: `sim_account` when given, else the seeded accounts in turn.
 */
export function consentDialog(state: SimState, platform: Platform) {
  let nextAccount = 0;
  return {
    identify(req: SimRequest): string | null {
      const requested = req.query.get('sim_account');
      return requested ? accountKey(platform, requested) : null;
    },
    consent(req: SimRequest, client: DialogClient): Consent | SimReply {
      const redirectUri = req.query.get('redirect_uri');
      if (req.query.get(client.param) !== client.id)
        return jsonReply(400, { error: `invalid ${client.param}` }, 'error');
      if (!redirectUri || (client.redirectUri && redirectUri !== client.redirectUri)) {
        return jsonReply(400, { error: 'redirect_uri does not match the registered one' }, 'error');
      }
      const accounts = state.accounts.list(platform);
      const chosen =
        req.query.get('sim_account') ?? accounts[nextAccount++ % Math.max(1, accounts.length)]?.externalId;
      if (!chosen || !state.accounts.find(platform, chosen))
        return jsonReply(404, { error: 'no such account' }, 'error');
      return { redirectUri, account: accountKey(platform, chosen) };
    },
  };
}
