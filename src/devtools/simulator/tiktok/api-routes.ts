import { type SimReply, type SimRequest, type SimRoute, type SimState } from '../server/types';
import { USER_FIELD_SCOPES, authenticateApi, identifyByBearer, missingScope, type ApiAuth } from './auth';
import { USER_FIELDS, VIDEO_FIELDS, pick, publicVideos, requestedFields } from './fields';
import { apiError, apiOk, invalidParams } from './replies';

type Authed = Extract<ApiAuth, { ok: true }>;

function apiRoute(
  state: SimState,
  endpoint: SimRoute['endpoint'],
  method: 'GET' | 'POST',
  answer: (req: SimRequest, auth: Authed) => SimReply,
): SimRoute {
  return {
    endpoint,
    family: 'tiktok-api',
    quota: 'tiktok',
    identify: (req) => identifyByBearer(state, req),
    handle: (req) => {
      if (req.method !== method)
        return invalidParams(state, `Method ${req.method} is not allowed; use ${method}.`);
      const auth = authenticateApi(state, req);
      return auth.ok ? answer(req, auth) : auth.reply;
    },
  };
}

/** GET /v2/user/info/ (docs/platforms.md#tiktok-user-info): `fields` required, each field checked against the granted scopes. */
export function userInfoRoute(state: SimState): SimRoute {
  return apiRoute(state, 'tiktok.user_info', 'GET', (req, auth) => {
    const fields = requestedFields(req.query.get('fields'), USER_FIELDS);
    if (typeof fields === 'string') return invalidParams(state, fields);
    const missing = fields
      .map((field) => USER_FIELD_SCOPES[field])
      .find((scope) => !auth.token.scopes.includes(scope));
    if (missing) return missingScope(state, missing);
    const { clientKey } = state.settings.apps.tiktok;
    return apiOk(state, {
      user: pick(auth.account, fields, USER_FIELDS, state.clock.nowMs(), state.accounts, clientKey),
    });
  });
}

/** POST /v2/video/list/ (docs/platforms.md#tiktok-video-list): fields in the query, JSON body, ms cursor, max_count 1-20. */
export function videoListRoute(state: SimState): SimRoute {
  return apiRoute(state, 'tiktok.video_list', 'POST', (req, auth) => {
    const fields = requestedFields(req.query.get('fields'), VIDEO_FIELDS);
    if (typeof fields === 'string') return invalidParams(state, fields);
    if (!auth.token.scopes.includes('video.list')) return missingScope(state, 'video.list');
    const body = jsonBody(req);
    if (!body) return invalidParams(state, 'The request body is not valid JSON.');
    const maxCount = pageSize(state, body.max_count);
    if (typeof maxCount === 'string') return invalidParams(state, maxCount);
    const cursor = body.cursor;
    if (cursor !== undefined && (typeof cursor !== 'number' || !Number.isInteger(cursor)))
      return invalidParams(state, 'Invalid cursor.');
    const nowMs = state.clock.nowMs();
    const candidates = publicVideos(state.accounts, auth.account, nowMs).filter(
      (v) => cursor === undefined || v.publishedAtMs < cursor,
    );
    // Trust & safety filtering makes pages shorter than max_count while has_more stays true.
    const { shortPageRate, shortPageShortfall } = state.settings.tiktok;
    const short = state.random() < shortPageRate;
    let size = short ? 1 + Math.floor(state.random() * Math.max(1, maxCount - 1)) : maxCount;
    if (shortPageShortfall > 0 && candidates.length > size) size = Math.max(1, size - shortPageShortfall);
    const videos = candidates.slice(0, size);
    const { clientKey } = state.settings.apps.tiktok;
    return apiOk(state, {
      videos: videos.map((video) => pick(video, fields, VIDEO_FIELDS, nowMs, state.accounts, clientKey)),
      cursor: videos.length > 0 ? videos[videos.length - 1].publishedAtMs : (cursor ?? nowMs),
      has_more: candidates.length > videos.length,
    });
  });
}

/** POST /v2/video/query/: up to 20 ids; foreign ids are omitted (or refused, configurable). */
export function videoQueryRoute(state: SimState): SimRoute {
  return apiRoute(state, 'tiktok.video_query', 'POST', (req, auth) => {
    const fields = requestedFields(req.query.get('fields'), VIDEO_FIELDS);
    if (typeof fields === 'string') return invalidParams(state, fields);
    if (!auth.token.scopes.includes('video.list')) return missingScope(state, 'video.list');
    const ids = (jsonBody(req)?.filters as { video_ids?: unknown } | undefined)?.video_ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 20)
      return invalidParams(state, 'filters.video_ids must hold 1 to 20 ids.');
    const nowMs = state.clock.nowMs();
    const owned = new Map(
      publicVideos(state.accounts, auth.account, nowMs).map((video) => [video.id, video]),
    );
    const found = ids.map((id) => owned.get(String(id))).filter((video) => video !== undefined);
    if (found.length < ids.length && state.settings.tiktok.videoQueryForeignIds === 'error') {
      return invalidParams(state, 'Some video ids do not belong to the user.');
    }
    const { clientKey } = state.settings.apps.tiktok;
    return apiOk(state, {
      videos: found.map((video) => pick(video, fields, VIDEO_FIELDS, nowMs, state.accounts, clientKey)),
    });
  });
}

export function unknownApiRoute(state: SimState): SimRoute {
  return {
    endpoint: 'tiktok.unknown',
    family: 'tiktok-api',
    quota: null,
    identify: () => null,
    handle: (req) => apiError(state, 'invalid_params', `Unknown path ${req.path}`, 404),
  };
}

function jsonBody(req: SimRequest): Record<string, unknown> | null {
  const text = req.body.toString('utf8').trim();
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Default 10, maximum 20; above that an error or a clamp (undocumented, so configurable). */
function pageSize(state: SimState, raw: unknown): number | string {
  if (raw === undefined) return 10;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1)
    return 'max_count must be a positive integer.';
  if (raw <= 20) return raw;
  return state.settings.tiktok.maxCountOver20 === 'clamp' ? 20 : 'max_count must not exceed 20.';
}
