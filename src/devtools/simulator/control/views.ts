import type { Platform, TokenSet } from '../../../platforms/types';
import {
  followersAt,
  followingAt,
  postCounterAt,
  publishedPosts,
  type SimAccount,
  type SimPost,
} from '../accounts/model';
import type { AccountStore } from '../accounts/store';

/** An account as tests see it: counters evaluated at the simulator's now. */
export interface AccountView {
  platform: Platform;
  externalId: string;
  /** Instagram app-scoped `id`, TikTok union_id. */
  secondaryId: string;
  username: string;
  displayName: string;
  accountType: string;
  followers: number;
  following: number;
  /** What the platform reports: published posts (TikTok: public ones only). */
  mediaCount: number;
}

export interface PostView {
  id: string;
  publishedAt: Date;
  caption: string;
  mediaType: string;
  isPublic: boolean;
  likes: number;
  comments: number;
  shares: number;
  views: number;
}

/** Same shape as the clients' TokenSet, so a test can store it as if it came from an OAuth exchange. */
export interface IssuedTokens extends TokenSet {
  platform: Platform;
}

export function accountView(account: SimAccount, store: AccountStore, nowMs: number): AccountView {
  const posts = publishedPosts(store.posts(account), nowMs);
  return {
    platform: account.platform,
    externalId: account.externalId,
    secondaryId: account.secondaryId,
    username: account.username,
    displayName: account.displayName,
    accountType: account.accountType,
    followers: followersAt(account, nowMs),
    following: followingAt(account, nowMs),
    mediaCount: account.platform === 'tiktok' ? posts.filter((post) => post.isPublic).length : posts.length,
  };
}

export function postView(post: SimPost, nowMs: number): PostView {
  return {
    id: post.id,
    publishedAt: new Date(post.publishedAtMs),
    caption: post.caption,
    mediaType: post.mediaType,
    isPublic: post.isPublic,
    likes: postCounterAt(post, 'likes', nowMs),
    comments: postCounterAt(post, 'comments', nowMs),
    shares: postCounterAt(post, 'shares', nowMs),
    views: postCounterAt(post, 'views', nowMs),
  };
}
