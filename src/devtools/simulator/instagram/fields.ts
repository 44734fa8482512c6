import type { SimAccount, SimPost } from '../accounts/model';
import { followersAt, followingAt, postCounterAt, publishedPosts } from '../accounts/model';
import type { AccountStore } from '../accounts/store';
import { metaTimestamp } from './replies';

type FieldReader<T> = (subject: T, nowMs: number, store: AccountStore) => unknown;

/** IG user fields (Meta SDK ig-user-for-ig-only-api, docs/platforms.md#instagram-profile). Only requested fields come back, plus id. */
export const USER_FIELDS: Record<string, FieldReader<SimAccount>> = {
  id: (a) => a.secondaryId,
  user_id: (a) => a.externalId,
  username: (a) => a.username,
  name: (a) => a.displayName,
  account_type: (a) => a.accountType,
  profile_picture_url: (a) => `https://scontent.cdninstagram.sim/v/t51.2885-19/${a.externalId}.jpg`,
  followers_count: (a, now) => followersAt(a, now),
  follows_count: (a, now) => followingAt(a, now),
  media_count: (a, now, store) => publishedPosts(store.posts(a), now).length,
  biography: (a) => a.bio,
  website: (a) => `https://${a.username.replace(/[^a-z0-9]/gi, '')}.example`,
};

/** IG media fields (Meta SDK ig-media-for-ig-only-api, docs/platforms.md#instagram-media). */
export const MEDIA_FIELDS: Record<string, FieldReader<SimPost>> = {
  id: (p) => p.id,
  caption: (p) => p.caption,
  media_type: (p) => p.mediaType,
  media_product_type: (p) => p.productType,
  media_url: (p) =>
    `https://scontent.cdninstagram.sim/o1/v/${p.id}.${p.mediaType === 'VIDEO' ? 'mp4' : 'jpg'}`,
  thumbnail_url: (p) =>
    p.mediaType === 'VIDEO' ? `https://scontent.cdninstagram.sim/v/${p.id}.jpg` : undefined,
  permalink: (p) => `https://www.instagram.com/${p.productType === 'REELS' ? 'reel' : 'p'}/${p.shortcode}/`,
  shortcode: (p) => p.shortcode,
  timestamp: (p) => metaTimestamp(p.publishedAtMs),
  like_count: (p, now) => postCounterAt(p, 'likes', now),
  comments_count: (p, now) => postCounterAt(p, 'comments', now),
  is_comment_enabled: () => true,
};

/** Splits `fields`; returns the first unknown name instead when there is one. */
export function parseFields(
  raw: string | null,
  known: Record<string, unknown>,
): string[] | { unknown: string } {
  const fields = (raw ?? 'id')
    .split(',')
    .map((field) => field.trim())
    .filter(Boolean);
  const unknown = fields.find((field) => !(field in known));
  return unknown ? { unknown } : ['id', ...fields.filter((field) => field !== 'id')];
}

export function pickFields<T>(
  subject: T,
  fields: string[],
  readers: Record<string, FieldReader<T>>,
  nowMs: number,
  store: AccountStore,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = readers[field](subject, nowMs, store);
    if (value !== undefined) out[field] = value;
  }
  return out;
}
