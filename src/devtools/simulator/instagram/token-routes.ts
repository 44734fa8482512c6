import type { SimReply, SimRequest, SimRoute, SimState } from '../server/types';
import { authenticateGraph, identifyByGraphToken } from './auth';
import { graphError, graphOk } from './replies';

const DAY_MS = 86_400_000;

/** GET graph.instagram.com/access_token?grant_type=ig_exchange_token: short-lived -> ~60 days (docs/platforms.md#instagram-long-lived-tokens-and-refresh). */
export function exchangeTokenRoute(state: SimState): SimRoute {
  return {
    endpoint: 'instagram.exchange_token',
    family: 'instagram-graph',
    quota: null,
    identify: (req) => identifyByGraphToken(state, req),
    handle: (req) => exchangeToken(state, req),
  };
}

/** GET graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token (docs/platforms.md#instagram-long-lived-tokens-and-refresh). GET only. */
export function refreshTokenRoute(state: SimState): SimRoute {
  return {
    endpoint: 'instagram.refresh_token',
    family: 'instagram-graph',
    quota: null,
    identify: (req) => identifyByGraphToken(state, req),
    handle: (req) => refreshToken(state, req),
  };
}

function exchangeToken(state: SimState, req: SimRequest): SimReply {
  if (req.method !== 'GET') return unsupportedMethod(state, req);
  if (req.query.get('grant_type') !== 'ig_exchange_token')
    return invalidParameter(state, 'grant_type must be ig_exchange_token');
  if (req.query.get('client_secret') !== state.settings.apps.instagram.appSecret) {
    return graphError(state, { code: 100, message: 'Error validating client secret.' });
  }
  const auth = authenticateGraph(state, req);
  if (!auth.ok) return auth.reply;
  if (auth.token.kind !== 'short')
    return invalidParameter(state, 'only a short-lived token can be exchanged');
  const expiresIn = longLivedExpiresIn(state);
  const long = state.instagramTokens.issue(
    auth.token.account,
    'long',
    state.clock.nowMs(),
    expiresIn,
    auth.token.scopes,
  );
  return graphOk({ access_token: long.value, token_type: 'bearer', expires_in: expiresIn });
}

function refreshToken(state: SimState, req: SimRequest): SimReply {
  // Observed: only GET works, POST gets an error (docs/platforms.md#instagram-long-lived-tokens-and-refresh, instafeed.js#654).
  if (req.method !== 'GET') return unsupportedMethod(state, req);
  if (req.query.get('grant_type') !== 'ig_refresh_token')
    return invalidParameter(state, 'grant_type must be ig_refresh_token');
  const auth = authenticateGraph(state, req);
  if (!auth.ok) return auth.reply;
  const { token } = auth;
  const behaviour = state.settings.instagram;
  if (token.kind !== 'long') return invalidParameter(state, 'only a long-lived token can be refreshed');
  const nowMs = state.clock.nowMs();
  if (nowMs - token.issuedAtMs < DAY_MS) {
    const { status, code, subcode, message } = behaviour.tooYoungError;
    return graphError(state, { status, code, subcode, message });
  }
  const expiresIn = longLivedExpiresIn(state);
  let value = token.value;
  if (behaviour.refreshIssuesNewToken) {
    value = state.instagramTokens.issue(token.account, 'long', nowMs, expiresIn, token.scopes).value;
    if (!behaviour.oldTokenValidAfterRefresh) state.instagramTokens.invalidate(token, 'replaced', nowMs);
  } else {
    // Same string: its 60 days start again from now, and so does its 24-hour age.
    token.issuedAtMs = nowMs;
    token.expiresAtMs = nowMs + expiresIn * 1000;
  }
  const body: Record<string, unknown> = { access_token: value, token_type: 'bearer', expires_in: expiresIn };
  if (behaviour.refreshIncludesPermissions) body.permissions = token.scopes.join(',');
  return graphOk(body);
}

function longLivedExpiresIn(state: SimState): number {
  const { longLivedExpiresInSeconds, expiresInJitterSeconds } = state.settings.instagram;
  return longLivedExpiresInSeconds - Math.floor(state.random() * (expiresInJitterSeconds + 1));
}

function unsupportedMethod(state: SimState, req: SimRequest): SimReply {
  return graphError(state, {
    code: 100,
    message: `Unsupported request - method type: ${req.method.toLowerCase()}`,
  });
}

function invalidParameter(state: SimState, detail: string): SimReply {
  return graphError(state, { code: 100, message: `(#100) Invalid parameter: ${detail}` });
}
