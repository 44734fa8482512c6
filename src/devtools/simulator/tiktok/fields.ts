import {
  followersAt,
  followingAt,
  postCounterAt,
  publishedPosts,
  type SimAccount,
  type SimPost,
} from '../accounts/model';
import type { AccountStore } from '../accounts/store';

type Reader<T> = (subject: T, nowMs: number, store: AccountStore, clientKey: string) => unknown;

/** Public videos only: the Display API never lists private or draft ones (docs/platforms.md#tiktok-video-list). */
export function publicVideos(store: AccountStore, account: SimAccount, nowMs: number): SimPost[] {
  return publishedPosts(store.posts(account), nowMs).filter((post) => post.isPublic);
}

export const USER_FIELDS: Record<string, Reader<SimAccount>> = {
  open_id: (a) => a.externalId,
  union_id: (a) => a.secondaryId,
  avatar_url: (a) => `https://p16-sign.tiktokcdn.sim/avt/${a.externalId}~c5_168x168.jpeg`,
  avatar_url_100: (a) => `https://p16-sign.tiktokcdn.sim/avt/${a.externalId}~c5_100x100.jpeg`,
  avatar_large_url: (a) => `https://p16-sign.tiktokcdn.sim/avt/${a.externalId}~c5_1080x1080.jpeg`,
  display_name: (a) => a.displayName,
  bio_description: (a) => a.bio,
  profile_deep_link: (a) => `https://www.tiktok.com/@${a.username}`,
  is_verified: (a) => a.verified,
  username: (a) => a.username,
  follower_count: (a, now) => followersAt(a, now),
  following_count: (a, now) => followingAt(a, now),
  likes_count: (a, now, store) =>
    a.baseTotalLikes +
    publishedPosts(store.posts(a), now).reduce((sum, post) => sum + postCounterAt(post, 'likes', now), 0),
  video_count: (a, now, store) => publicVideos(store, a, now).length,
};

const SIX_HOURS_MS = 6 * 3_600_000;

/** Video object fields (docs/platforms.md#tiktok-video-list); cover URLs expire 6 h after the answer, like the real CDN links. */
export const VIDEO_FIELDS: Record<string, Reader<SimPost>> = {
  id: (v) => v.id,
  create_time: (v) => Math.floor(v.publishedAtMs / 1000),
  cover_image_url: (v, now) =>
    `https://p16-sign.tiktokcdn.sim/obj/${v.id}~tplv-noop.image?x-expires=${Math.floor((now + SIX_HOURS_MS) / 1000)}&x-signature=sim`,
  share_url: (v, _now, _store, clientKey) =>
    `https://www.tiktok.com/@sim/video/${v.id}?utm_campaign=tt4d_open_api&utm_source=${clientKey}`,
  video_description: (v) => v.caption,
  duration: (v) => v.durationSeconds,
  height: () => 1920,
  width: () => 1080,
  title: (v) => v.caption.slice(0, 150),
  embed_html: (v) => `<blockquote class="tiktok-embed" data-video-id="${v.id}"></blockquote>`,
  embed_link: (v) => `https://www.tiktok.com/player/v1/${v.id}`,
  like_count: (v, now) => postCounterAt(v, 'likes', now),
  comment_count: (v, now) => postCounterAt(v, 'comments', now),
  share_count: (v, now) => postCounterAt(v, 'shares', now),
  view_count: (v, now) => postCounterAt(v, 'views', now),
};

/** `fields` is required; returns the names, or the problem to report as invalid_params. */
export function requestedFields(raw: string | null, known: Record<string, unknown>): string[] | string {
  if (!raw) return 'fields is required';
  const fields = raw
    .split(',')
    .map((field) => field.trim())
    .filter(Boolean);
  const unknown = fields.find((field) => !(field in known));
  return unknown ? `Invalid field: ${unknown}` : fields;
}

export function pick<T>(
  subject: T,
  fields: string[],
  readers: Record<string, Reader<T>>,
  nowMs: number,
  store: AccountStore,
  clientKey: string,
) {
  const out: Record<string, unknown> = {};
  for (const field of fields) out[field] = readers[field](subject, nowMs, store, clientKey);
  return out;
}
