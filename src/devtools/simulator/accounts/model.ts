import type { Platform } from '../../../platforms/types';

export type PostCounter = 'likes' | 'comments' | 'shares' | 'views';

export interface SimPost {
  id: string;
  /** Whole seconds: TikTok's create_time is in seconds and its cursor must not skip twins. */
  publishedAtMs: number;
  caption: string;
  mediaType: 'IMAGE' | 'VIDEO' | 'CAROUSEL_ALBUM';
  productType: 'FEED' | 'REELS';
  /** TikTok lists public videos only (docs/platforms.md#tiktok-video-list). */
  isPublic: boolean;
  durationSeconds: number;
  shortcode: string;
  /** Counters grow toward these as the post ages. */
  final: Record<PostCounter, number>;
  /** Set through the control surface: reported exactly, no drift. */
  fixed: Partial<Record<PostCounter, number>>;
}

export interface SimAccount {
  platform: Platform;
  /** Instagram user_id (17 digits, above 2^53) or TikTok open_id. */
  externalId: string;
  /** Instagram app-scoped `id`, or TikTok union_id. */
  secondaryId: string;
  index: number;
  username: string;
  displayName: string;
  accountType: 'BUSINESS' | 'MEDIA_CREATOR';
  bio: string;
  verified: boolean;
  baseFollowers: number;
  followersPerDay: number;
  baseFollowing: number;
  baseTotalLikes: number;
  /** Counters drift from this instant with the simulator clock. */
  anchorMs: number;
  fixed: { followers?: number; following?: number };
  /** Newest first; generated on first use so seeding thousands of accounts stays instant. */
  posts: SimPost[] | null;
  plannedPostCount: number;
  nextPostIndex: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Followers drift by a daily trend plus a weekly wobble, so two syncs a day apart see different numbers. */
export function followersAt(account: SimAccount, nowMs: number): number {
  if (account.fixed.followers !== undefined) return account.fixed.followers;
  const days = (nowMs - account.anchorMs) / DAY_MS;
  const wobble = Math.sin(days * ((2 * Math.PI) / 7) + account.index) * account.baseFollowers * 0.002;
  return Math.max(0, Math.round(account.baseFollowers + account.followersPerDay * days + wobble));
}

export function followingAt(account: SimAccount, nowMs: number): number {
  if (account.fixed.following !== undefined) return account.fixed.following;
  const days = Math.max(0, (nowMs - account.anchorMs) / DAY_MS);
  return account.baseFollowing + Math.floor(days / 5);
}

/** Engagement saturates: 1 - e^(-age / 36 h) of the post's final value. */
export function postCounterAt(post: SimPost, counter: PostCounter, nowMs: number): number {
  const fixed = post.fixed[counter];
  if (fixed !== undefined) return fixed;
  const ageHours = Math.max(0, (nowMs - post.publishedAtMs) / HOUR_MS);
  return Math.round(post.final[counter] * (1 - Math.exp(-ageHours / 36)));
}

/** Posts already published at `nowMs` (a clock set into the past hides later ones), newest first. */
export function publishedPosts(posts: readonly SimPost[], nowMs: number): SimPost[] {
  let start = 0;
  while (start < posts.length && posts[start].publishedAtMs > nowMs) start++;
  return start === 0 ? (posts as SimPost[]) : posts.slice(start);
}
