import type { SimAccount } from '../accounts/model';
import { externalIdOf } from '../core/endpoints';
import { type SimRequest, type SimReply, type SimState } from '../server/types';
import { bearerToken } from '../server/wire';
import { graphError } from './replies';
import type { InstagramToken } from './tokens';

export type GraphAuth =
  { ok: true; token: InstagramToken; account: SimAccount } | { ok: false; reply: SimReply };

/** The token is the `access_token` query parameter in Meta's examples; a Bearer header is accepted too. */
export function graphTokenOf(req: SimRequest): string | null {
  return req.query.get('access_token') ?? bearerToken(req);
}

export function identifyByGraphToken(state: SimState, req: SimRequest): string | null {
  return state.instagramTokens.find(graphTokenOf(req))?.account ?? null;
}

/** Unknown, invalidated and expired tokens all answer code 190, with the subcode that says why. */
export function authenticateGraph(state: SimState, req: SimRequest): GraphAuth {
  const nowMs = state.clock.nowMs();
  const token = state.instagramTokens.find(graphTokenOf(req));
  if (!token) {
    return {
      ok: false,
      reply: graphError(state, {
        code: 190,
        message: 'Invalid OAuth access token - Cannot parse access token',
      }),
    };
  }
  if (token.invalidated) {
    const { subcode, message } = token.invalidated;
    return { ok: false, reply: graphError(state, { code: 190, subcode, message }) };
  }
  if (token.expiresAtMs <= nowMs) {
    const message = `Error validating access token: Session has expired on ${metaDate(token.expiresAtMs)}. The current time is ${metaDate(nowMs)}.`;
    return { ok: false, reply: graphError(state, { code: 190, subcode: 463, message }) };
  }
  const account = state.accounts.find('instagram', externalIdOf(token.account));
  if (!account)
    return {
      ok: false,
      reply: graphError(state, {
        code: 190,
        subcode: 458,
        message: 'Error validating access token: The user has not authorized application.',
      }),
    };
  return { ok: true, token, account };
}

function metaDate(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', 'UTC');
}
