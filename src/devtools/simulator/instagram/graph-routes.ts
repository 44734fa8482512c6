import type { SimReply, SimRequest, SimRoute, SimState } from '../server/types';
import { authenticateGraph, identifyByGraphToken, type GraphAuth } from './auth';
import { USER_FIELDS, parseFields, pickFields } from './fields';
import { mediaPage } from './media-page';
import { graphError, graphOk } from './replies';

/** GET /me and GET /<ig_id> (docs/platforms.md#instagram-profile). */
export function profileRoute(state: SimState): SimRoute {
  return {
    endpoint: 'instagram.me',
    family: 'instagram-graph',
    quota: 'instagram',
    identify: (req) => identifyByGraphToken(state, req),
    handle: (req) => withNode(state, req, (auth) => profile(state, req, auth)),
  };
}

/** GET /me/media and GET /<ig_id>/media (docs/platforms.md#instagram-media). */
export function mediaRoute(state: SimState): SimRoute {
  return {
    endpoint: 'instagram.media',
    family: 'instagram-graph',
    quota: 'instagram',
    identify: (req) => identifyByGraphToken(state, req),
    handle: (req) => withNode(state, req, (auth) => mediaPage(state, req, auth)),
  };
}

/** Any other path: Meta answers 2500 "Unknown path components". */
export function unknownGraphRoute(state: SimState): SimRoute {
  return {
    endpoint: 'instagram.unknown',
    family: 'instagram-graph',
    quota: null,
    identify: () => null,
    handle: (req) => graphError(state, { code: 2500, message: `Unknown path components: ${req.path}` }),
  };
}

/** Checks method, token and that the node is the token owner (`me`, its user_id or its app-scoped id). */
function withNode(
  state: SimState,
  req: SimRequest,
  answer: (auth: Extract<GraphAuth, { ok: true }>) => SimReply,
): SimReply {
  const node = req.path.split('/')[1];
  if (req.method !== 'GET') {
    return graphError(state, {
      code: 100,
      subcode: 33,
      message: `Unsupported ${req.method.toLowerCase()} request.`,
    });
  }
  const auth = authenticateGraph(state, req);
  if (!auth.ok) return auth.reply;
  if (node !== 'me' && node !== auth.account.externalId && node !== auth.account.secondaryId) {
    const message = `Unsupported get request. Object with ID '${node}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`;
    return graphError(state, { code: 100, subcode: 33, message });
  }
  // Profile and media need instagram_business_basic; without it Graph answers (#10).
  if (!auth.token.scopes.includes('instagram_business_basic')) {
    return graphError(state, {
      code: 10,
      message: '(#10) Application does not have permission for this action',
    });
  }
  return answer(auth);
}

function profile(state: SimState, req: SimRequest, auth: Extract<GraphAuth, { ok: true }>): SimReply {
  const fields = parseFields(req.query.get('fields'), USER_FIELDS);
  if (!Array.isArray(fields)) {
    return graphError(state, {
      code: 100,
      message: `(#100) Tried accessing nonexisting field (${fields.unknown}) on node type (User)`,
    });
  }
  return graphOk(pickFields(auth.account, fields, USER_FIELDS, state.clock.nowMs(), state.accounts));
}
