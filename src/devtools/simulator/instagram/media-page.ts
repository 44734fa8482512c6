import { publishedPosts, type SimPost } from '../accounts/model';
import { MOUNTS } from '../server/mounts';
import type { SimReply, SimRequest, SimState } from '../server/types';
import { graphTokenOf, type GraphAuth } from './auth';
import { MEDIA_FIELDS, parseFields, pickFields } from './fields';
import { graphError, graphOk } from './replies';

interface Cursor {
  /** Id of the last item already returned; null before the first one. */
  after: string | null;
  /** Makes every cursor distinct, even for an empty page that does not move. */
  nonce: number;
}

let nonce = 0;

/**
 * One page of the media edge (docs/platforms.md#instagram-media): newest first, `limit` clamped, opaque cursors that die with
 * their item, `next` absent on the last page, optionally short or empty pages that still carry `next`.
 */
export function mediaPage(
  state: SimState,
  req: SimRequest,
  auth: Extract<GraphAuth, { ok: true }>,
): SimReply {
  const behaviour = state.settings.instagram;
  const fields = parseFields(req.query.get('fields'), MEDIA_FIELDS);
  if (!Array.isArray(fields)) {
    return graphError(state, {
      code: 100,
      message: `(#100) Tried accessing nonexisting field (${fields.unknown}) on node type (Media)`,
    });
  }
  const nowMs = state.clock.nowMs();
  const posts = publishedPosts(state.accounts.posts(auth.account), nowMs).slice(
    0,
    behaviour.maxReachableMedia,
  );
  const cursor = decodeCursor(req.query.get('after'));
  if (cursor === 'invalid')
    return graphError(state, { code: 100, message: '(#100) The after cursor is invalid' });
  const start = cursor?.after ? posts.findIndex((post) => post.id === cursor.after) + 1 : 0;
  // The item the cursor pointed at was deleted: Meta's cursors do not survive that.
  if (start === 0 && cursor?.after)
    return graphError(state, { code: 100, message: '(#100) The after cursor is no longer valid' });
  const requested = Number(req.query.get('limit'));
  const limit = Math.min(
    behaviour.maxPageLimit,
    requested > 0 ? Math.floor(requested) : behaviour.defaultPageLimit,
  );
  let size = state.random() < behaviour.shortPageRate ? Math.floor(state.random() * limit) : limit;
  if (behaviour.shortPageShortfall > 0 && posts.length - start > size)
    size = Math.max(1, size - behaviour.shortPageShortfall);
  const items = posts.slice(start, start + size);
  const lastId = items.length > 0 ? items[items.length - 1].id : (cursor?.after ?? null);
  const body: Record<string, unknown> = {
    data: items.map((post) => pickFields(post, fields, MEDIA_FIELDS, nowMs, state.accounts)),
    paging: paging(state, req, items, lastId, start + items.length < posts.length, limit),
  };
  return graphOk(body);
}

function paging(
  state: SimState,
  req: SimRequest,
  items: SimPost[],
  lastId: string | null,
  hasMore: boolean,
  limit: number,
) {
  const after = encodeCursor({ after: lastId, nonce: nonce++ });
  const cursors = { before: encodeCursor({ after: items[0]?.id ?? null, nonce: nonce++ }), after };
  if (!hasMore) return { cursors };
  // Built from the Host the client used, so `next` is reachable however the simulator was addressed.
  const base = req.headers.host
    ? `http://${req.headers.host}${MOUNTS.instagramGraph}`
    : state.urls?.instagramGraphUrl;
  const query = new URLSearchParams();
  const token = req.query.get('access_token') ?? graphTokenOf(req);
  if (token) query.set('access_token', token);
  if (req.query.get('fields')) query.set('fields', req.query.get('fields')!);
  query.set('limit', String(limit));
  query.set('after', after);
  return { cursors, next: `${base}${req.version}${req.path}?${query}` };
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.after, cursor.nonce])).toString('base64url');
}

function decodeCursor(raw: string | null): Cursor | null | 'invalid' {
  if (!raw) return null;
  try {
    const [after, n] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as [unknown, unknown];
    if ((after !== null && typeof after !== 'string') || typeof n !== 'number') return 'invalid';
    return { after, nonce: n };
  } catch {
    return 'invalid';
  }
}
