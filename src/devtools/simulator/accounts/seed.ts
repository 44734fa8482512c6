import type { Platform } from '../../../platforms/types';
import {
  createRandom,
  deriveSeed,
  digits,
  hex,
  intBetween,
  pick,
  uuidLike,
  type Random,
} from '../core/random';
import type { SimAccount, SimPost } from './model';

const ADJECTIVES = ['sunny', 'urban', 'wild', 'tiny', 'golden', 'quiet', 'bold', 'fresh', 'cosy', 'rapid'];
const NOUNS = [
  'bakery',
  'studio',
  'garden',
  'kitchen',
  'travels',
  'fitness',
  'books',
  'crafts',
  'coffee',
  'pets',
];
const CAPTION_WORDS = [
  'new',
  'drop',
  'behind the scenes',
  'today',
  'weekend',
  'recipe',
  'tips',
  'launch',
  'thanks',
];

export interface AccountInit {
  username?: string;
  displayName?: string;
  accountType?: 'BUSINESS' | 'MEDIA_CREATOR';
  followers?: number;
  followersPerDay?: number;
  following?: number;
  /** How many posts to generate (deterministically) for this account. */
  postCount?: number;
}

/** Account `index` of a platform is the same for a given seed, whatever else exists. */
export function generateAccount(
  platform: Platform,
  seed: number,
  index: number,
  anchorMs: number,
  init: AccountInit = {},
): SimAccount {
  const random = createRandom(deriveSeed(seed, `${platform}-account`, index));
  const handle = `${pick(random, ADJECTIVES)}.${pick(random, NOUNS)}${index}`;
  const followers = init.followers ?? Math.round(200 * Math.pow(1000, random()));
  return {
    platform,
    externalId: platform === 'instagram' ? `1784140${String(index).padStart(10, '0')}` : uuidLike(random),
    secondaryId: platform === 'instagram' ? `8${digits(random, 15)}` : uuidLike(random),
    index,
    username: init.username ?? (platform === 'tiktok' ? handle.replace('.', '_') : handle),
    displayName: init.displayName ?? titleCase(handle),
    accountType: init.accountType ?? (random() < 0.6 ? 'BUSINESS' : 'MEDIA_CREATOR'),
    bio: `${titleCase(handle)} - posting daily`,
    verified: random() < 0.05,
    baseFollowers: followers,
    followersPerDay:
      init.followersPerDay ?? Math.max(1, Math.round(followers * 0.002 * (random() * 2 - 0.3))),
    baseFollowing: init.following ?? intBetween(random, 20, 1500),
    baseTotalLikes: followers * intBetween(random, 5, 40),
    anchorMs,
    fixed: {},
    posts: null,
    // Every fourth account has 30-60 posts, so paging past 25 is always exercised.
    plannedPostCount:
      init.postCount ?? (index % 4 === 0 ? intBetween(random, 30, 60) : intBetween(random, 0, 60)),
    nextPostIndex: 0,
  };
}

/** Newest first, one every 6-72 h going back from the account's anchor. */
export function generatePosts(account: SimAccount, seed: number): SimPost[] {
  const random = createRandom(deriveSeed(seed, `${account.platform}-posts`, account.index));
  const posts: SimPost[] = [];
  let publishedAtMs = Math.floor(account.anchorMs / 1000) * 1000 - intBetween(random, 1, 30) * 3_600_000;
  for (let i = 0; i < account.plannedPostCount; i++) {
    posts.push(generatePost(account, random, publishedAtMs));
    publishedAtMs -= intBetween(random, 6 * 3600, 72 * 3600) * 1000;
  }
  return posts;
}

export function generatePost(account: SimAccount, random: Random, publishedAtMs: number): SimPost {
  const index = account.nextPostIndex++;
  const roll = random();
  const mediaType = roll < 0.5 ? 'IMAGE' : roll < 0.8 ? 'VIDEO' : 'CAROUSEL_ALBUM';
  const reach = Math.max(10, Math.round(account.baseFollowers * (0.05 + random() * 0.3)));
  return {
    id: postId(account, index),
    publishedAtMs,
    caption: `${titleCase(pick(random, CAPTION_WORDS))} #${index}`,
    mediaType: account.platform === 'tiktok' ? 'VIDEO' : mediaType,
    productType: account.platform === 'instagram' && mediaType === 'VIDEO' ? 'REELS' : 'FEED',
    isPublic: account.platform === 'instagram' || random() > 0.1,
    durationSeconds: intBetween(random, 5, 180),
    shortcode: `C${hex(random, 10)}`,
    final: {
      likes: reach,
      comments: Math.round(reach * (0.01 + random() * 0.05)),
      shares: Math.round(reach * random() * 0.03),
      views: reach * intBetween(random, 3, 12),
    },
    fixed: {},
  };
}

/** Instagram media ids are 17 digits, TikTok video ids 19: both unique per (account, post index). */
function postId(account: SimAccount, index: number): string {
  const accountPart = String(account.index).padStart(8, '0');
  return account.platform === 'instagram'
    ? `178${accountPart}${String(index).padStart(6, '0')}`
    : `7${accountPart}${String(index).padStart(10, '0')}`;
}

function titleCase(handle: string): string {
  return handle
    .split(/[._ ]/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}
