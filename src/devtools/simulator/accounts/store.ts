import type { Platform } from '../../../platforms/types';
import { SimulatorError } from '../core/errors';
import { createRandom, deriveSeed, type Random } from '../core/random';
import type { PostCounter, SimAccount, SimPost } from './model';
import { generateAccount, generatePost, generatePosts, type AccountInit } from './seed';

export interface PostInit {
  caption?: string;
  publishedAt?: Date;
  mediaType?: SimPost['mediaType'];
  isPublic?: boolean;
  likes?: number;
  comments?: number;
  shares?: number;
  views?: number;
}

export type PostChanges = Partial<Record<PostCounter, number>> & { caption?: string; isPublic?: boolean };

/** Every account of both platforms, looked up by external id in O(1). */
export class AccountStore {
  private readonly byId: Record<Platform, Map<string, SimAccount>> = {
    instagram: new Map(),
    tiktok: new Map(),
  };
  private readonly ordered: Record<Platform, SimAccount[]> = { instagram: [], tiktok: [] };
  private readonly random: Random;

  constructor(
    private readonly seed: number,
    private readonly nowMs: () => number,
  ) {
    this.random = createRandom(deriveSeed(seed, 'store', 0));
  }

  /** Grows each platform to `countPerPlatform` seeded accounts; existing ones are kept as they are. */
  seedAccounts(countPerPlatform: number): void {
    for (const platform of ['instagram', 'tiktok'] as const) {
      while (this.ordered[platform].length < countPerPlatform) this.add(platform);
    }
  }

  add(platform: Platform, init: AccountInit = {}): SimAccount {
    const index = this.ordered[platform].length;
    const account = generateAccount(platform, this.seed, index, this.nowMs(), init);
    this.byId[platform].set(account.externalId, account);
    this.ordered[platform].push(account);
    return account;
  }

  find(platform: Platform, externalId: string): SimAccount | undefined {
    return this.byId[platform].get(externalId);
  }

  get(platform: Platform, externalId: string): SimAccount {
    const account = this.find(platform, externalId);
    if (!account) throw new SimulatorError(`no ${platform} account ${externalId}`, 404);
    return account;
  }

  list(platform: Platform, offset = 0, limit = Number.MAX_SAFE_INTEGER): SimAccount[] {
    return this.ordered[platform].slice(offset, offset + limit);
  }

  count(platform: Platform): number {
    return this.ordered[platform].length;
  }

  posts(account: SimAccount): SimPost[] {
    if (!account.posts) account.posts = generatePosts(account, this.seed);
    return account.posts;
  }

  addPost(account: SimAccount, init: PostInit = {}): SimPost {
    const posts = this.posts(account);
    let publishedAtMs = Math.floor((init.publishedAt?.getTime() ?? this.nowMs()) / 1000) * 1000;
    // TikTok's cursor is a timestamp: two posts in the same second would hide one of them.
    while (posts.some((post) => post.publishedAtMs === publishedAtMs)) publishedAtMs += 1000;
    const post = generatePost(account, this.random, publishedAtMs);
    if (init.caption !== undefined) post.caption = init.caption;
    if (init.mediaType && account.platform === 'instagram') {
      post.mediaType = init.mediaType;
      post.productType = init.mediaType === 'VIDEO' ? 'REELS' : 'FEED';
    }
    if (init.isPublic !== undefined) post.isPublic = init.isPublic;
    for (const counter of ['likes', 'comments', 'shares', 'views'] as const) {
      if (init[counter] !== undefined) post.fixed[counter] = init[counter];
    }
    posts.push(post);
    posts.sort((a, b) => b.publishedAtMs - a.publishedAtMs);
    return post;
  }

  updatePost(account: SimAccount, postId: string, changes: PostChanges): SimPost {
    const post = this.posts(account).find((candidate) => candidate.id === postId);
    if (!post)
      throw new SimulatorError(`no post ${postId} on ${account.platform} account ${account.externalId}`, 404);
    if (changes.caption !== undefined) post.caption = changes.caption;
    if (changes.isPublic !== undefined) post.isPublic = changes.isPublic;
    for (const counter of ['likes', 'comments', 'shares', 'views'] as const) {
      if (changes[counter] !== undefined) post.fixed[counter] = changes[counter];
    }
    return post;
  }

  deletePost(account: SimAccount, postId: string): void {
    const posts = this.posts(account);
    const index = posts.findIndex((post) => post.id === postId);
    if (index < 0)
      throw new SimulatorError(`no post ${postId} on ${account.platform} account ${account.externalId}`, 404);
    posts.splice(index, 1);
  }
}
