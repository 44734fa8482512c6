/**
 * Engagement rate of an account, in percent (README "Engagement rate"):
 *
 *   rate = (sum over the synced posts of likes + comments [+ shares on TikTok]) / number of posts / followers x 100
 *
 * i.e. the average interactions per post relative to the audience. 0 when there are no posts or no followers
 * (a new account must not divide by zero, nor show an infinite rate). Rounded to 4 decimals so the stored
 * value does not change from float noise between two syncs of the same data.
 */
export interface EngagementPost {
  likes: number;
  comments: number;
  /** TikTok only; Instagram does not report shares (null). */
  shares: number | null;
}

export function computeEngagementRate(posts: readonly EngagementPost[], followers: number): number {
  if (posts.length === 0 || followers <= 0) return 0;
  const interactions = posts.reduce((sum, post) => sum + post.likes + post.comments + (post.shares ?? 0), 0);
  const rate = (interactions / posts.length / followers) * 100;
  return Math.round(rate * 10_000) / 10_000;
}
