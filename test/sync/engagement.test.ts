import { computeEngagementRate } from '../../src/sync/engagement';

describe('computeEngagementRate', () => {
  it('averages likes + comments per post over followers, in percent (Instagram: no shares)', () => {
    const posts = [
      { likes: 100, comments: 20, shares: null },
      { likes: 50, comments: 30, shares: null },
    ];
    // (120 + 80) / 2 posts = 100 interactions per post, / 1000 followers = 10 %
    expect(computeEngagementRate(posts, 1000)).toBe(10);
  });

  it('adds shares on TikTok', () => {
    const posts = [{ likes: 10, comments: 5, shares: 5 }];
    expect(computeEngagementRate(posts, 200)).toBe(10);
  });

  it('is 0 without posts or without followers', () => {
    expect(computeEngagementRate([], 1000)).toBe(0);
    expect(computeEngagementRate([{ likes: 5, comments: 1, shares: 0 }], 0)).toBe(0);
  });

  it('rounds to 4 decimals', () => {
    expect(computeEngagementRate([{ likes: 1, comments: 0, shares: null }], 3)).toBe(33.3333);
  });
});
