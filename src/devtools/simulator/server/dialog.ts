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

export interface DialogScreen {
  /** "Instagram", "TikTok": named on the consent screen. */
  platformName: string;
  /** The dialog's own address: the screen's buttons come back to it. */
  url: string;
  scopes: string[];
  /** Parameters of the platform's refusal redirect besides `error=access_denied` and `state`. */
  denial: Record<string, string>;
}

/**
 * Both OAuth dialogs: the app and the registered redirect URI are checked first; then, like the real
 * platforms, a consent screen for the browser with Allow and Cancel. Its buttons come back with
 * `sim_decision=allow` (the platform issues a code, `allow` below) or `sim_decision=deny` (the browser is sent
 * back with `error=access_denied`). Programs may send `sim_decision` at once and skip the screen. The account
 * that consents is `sim_account` when given, else the seeded accounts in turn.
 */
export function consentDialog(state: SimState, platform: Platform) {
  let nextAccount = 0;
  return {
    identify(req: SimRequest): string | null {
      const requested = req.query.get('sim_account');
      return requested ? accountKey(platform, requested) : null;
    },
    run(
      req: SimRequest,
      client: DialogClient,
      screen: DialogScreen,
      allow: (consent: Consent) => SimReply,
    ): SimReply {
      const redirectUri = req.query.get('redirect_uri');
      if (req.query.get(client.param) !== client.id)
        return jsonReply(400, { error: `invalid ${client.param}` }, 'error');
      if (!redirectUri || (client.redirectUri && redirectUri !== client.redirectUri)) {
        return jsonReply(400, { error: 'redirect_uri does not match the registered one' }, 'error');
      }
      const accounts = state.accounts.list(platform);
      const chosen =
        req.query.get('sim_account') ?? accounts[nextAccount++ % Math.max(1, accounts.length)]?.externalId;
      const account = chosen ? state.accounts.find(platform, chosen) : undefined;
      if (!chosen || !account) return jsonReply(404, { error: 'no such account' }, 'error');
      const decision = req.query.get('sim_decision');
      if (decision === 'allow') return allow({ redirectUri, account: accountKey(platform, chosen) });
      if (decision === 'deny') {
        const query = new URLSearchParams({ error: 'access_denied', ...screen.denial });
        query.set('state', req.query.get('state') ?? '');
        return { status: 302, body: '', outcome: 'ok', headers: { location: `${redirectUri}?${query}` } };
      }
      if (decision !== null) return jsonReply(400, { error: 'sim_decision must be allow or deny' }, 'error');
      return consentScreen(req, screen, { externalId: chosen, username: account.username });
    },
  };
}

/** A plain page with two buttons; every dialog parameter rides along in hidden fields. */
function consentScreen(
  req: SimRequest,
  screen: DialogScreen,
  account: { externalId: string; username: string },
): SimReply {
  const fields = new URLSearchParams(req.query);
  fields.set('sim_account', account.externalId);
  const hidden = [...fields]
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('\n');
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(screen.platformName)} (simulated): authorize</title></head>
<body>
<h1>${escape(screen.platformName)} (simulated)</h1>
<p>Allow this app to access <strong>@${escape(account.username)}</strong>?</p>
<p>It asks for: ${screen.scopes.map((scope) => `<code>${escape(scope)}</code>`).join(', ')}</p>
<form method="get" action="${escape(screen.url)}">
${hidden}
<button type="submit" name="sim_decision" value="allow">Allow</button>
<button type="submit" name="sim_decision" value="deny">Cancel</button>
</form>
</body></html>
`;
  return {
    status: 200,
    body,
    outcome: 'ok',
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  };
}

function escape(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
