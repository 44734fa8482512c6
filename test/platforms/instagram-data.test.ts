import { accountWithPosts, profileOf, startHarness, type Harness } from './support';

describe('Instagram profile and media against the simulator', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ accountsPerPlatform: 12 });
  });
  afterEach(() => h.sim.stop());

  const tokenFor = (externalId: string) => h.sim.control.issueTokens('instagram', externalId).accessToken;
  const mediaCalls = () => h.sim.control.endpointStats('instagram.media').total;

  it('reads the profile counters the platform reports', async () => {
    const account = h.sim.control.listAccounts('instagram')[1];
    const { value, usage, requestId } = await h.instagram.getProfile(tokenFor(account.externalId));
    expect(value).toEqual(profileOf(account));
    expect(usage).toBeNull();
    expect(requestId).toEqual(expect.any(String));
  });

  it('returns 25 items newest first in one page at the default page size', async () => {
    const externalId = accountWithPosts(h.sim, 'instagram', 30);
    const expected = h.sim.control.listPosts('instagram', externalId).slice(0, 25);

    const { value } = await h.instagram.listRecentMedia(tokenFor(externalId), 25);

    expect(value.map((item) => item.platformId)).toEqual(expected.map((post) => post.id));
    expect(value[0]).toMatchObject({
      likes: expected[0].likes,
      comments: expected[0].comments,
      shares: null,
      views: null,
    });
    expect(value[0].publishedAt.getTime()).toBe(expected[0].publishedAt.getTime());
    expect(mediaCalls()).toBe(1);
  });

  it('follows paging.next until it has 25 items when the platform serves 10 per page (3 calls)', async () => {
    h.sim.control.configure({ instagram: { maxPageLimit: 10 } });
    const externalId = accountWithPosts(h.sim, 'instagram', 30);
    const { value } = await h.instagram.listRecentMedia(tokenFor(externalId), 25);
    expect(value).toHaveLength(25);
    expect(new Set(value.map((item) => item.platformId)).size).toBe(25);
    expect(mediaCalls()).toBe(3);
  });

  it('stops when paging.next is absent, with fewer items than asked', async () => {
    h.sim.control.configure({ instagram: { maxPageLimit: 5 } });
    const externalId = h.sim.control.addAccount('instagram', { postCount: 12 }).externalId;
    const { value } = await h.instagram.listRecentMedia(tokenFor(externalId), 25);
    expect(value).toHaveLength(12);
    expect(mediaCalls()).toBe(3);
  });

  it('tolerates short and empty pages that still carry next', async () => {
    h.sim.control.configure({ instagram: { shortPageRate: 0.7, maxPageLimit: 10 } });
    const externalId = accountWithPosts(h.sim, 'instagram', 30);
    const expected = h.sim.control
      .listPosts('instagram', externalId)
      .slice(0, 25)
      .map((post) => post.id);
    const { value } = await h.instagram.listRecentMedia(tokenFor(externalId), 25);
    expect(value.map((item) => item.platformId)).toEqual(expected);
    expect(mediaCalls()).toBeGreaterThan(3);
  });

  it('asks for 25 a page and stops on enough: 23-of-25 short pages reach 25 items in 2 calls, each announced first', async () => {
    h.sim.control.configure({ instagram: { shortPageShortfall: 2 } });
    const externalId = accountWithPosts(h.sim, 'instagram', 50);
    const expected = h.sim.control
      .listPosts('instagram', externalId)
      .slice(0, 25)
      .map((post) => post.id);
    const announced: number[] = [];
    const { value } = await h.instagram.listRecentMedia(tokenFor(externalId), 25, {
      beforePage: async (page) => void announced.push(page),
    });
    expect(value.map((item) => item.platformId)).toEqual(expected);
    expect(mediaCalls()).toBe(2);
    expect(announced).toEqual([0, 1]);
  });

  it('stops before a page when the caller refuses it (no budget left), without calling', async () => {
    h.sim.control.configure({ instagram: { shortPageShortfall: 20 } });
    const externalId = accountWithPosts(h.sim, 'instagram', 30);
    const refuse = async (page: number) => {
      if (page === 2) throw new Error('no budget');
    };
    await expect(
      h.instagram.listRecentMedia(tokenFor(externalId), 25, { beforePage: refuse }),
    ).rejects.toThrow('no budget');
    expect(mediaCalls()).toBe(2);
  });

  it('labels reels REELS and parses +0000 timestamps', async () => {
    const externalId = h.sim.control.addAccount('instagram', { postCount: 0 }).externalId;
    const reel = h.sim.control.addPost('instagram', externalId, {
      mediaType: 'VIDEO',
      publishedAt: new Date('2026-03-01T18:04:11Z'),
    });
    const { value } = await h.instagram.listRecentMedia(tokenFor(externalId), 5);
    expect(value).toHaveLength(1);
    expect(value[0]).toMatchObject({ platformId: reel.id, type: 'REELS' });
    expect(value[0].publishedAt.toISOString()).toBe('2026-03-01T18:04:11.000Z');
  });

  it('returns the usage headers with each result once they appear', async () => {
    // Budget 4800 x 0.00125 = 6 calls per day; headers from 10 %.
    h.sim.control.setQuotas({ instagram: { impressionsPerAccount: 0.00125 } });
    const token = tokenFor(h.sim.control.listAccounts('instagram')[0].externalId);
    await h.instagram.getProfile(token);
    const { usage } = await h.instagram.getProfile(token);
    expect(usage?.businessUseCase).toMatchObject({ callCount: 33, regainAccessSeconds: 0 });
    expect(usage?.appUsage).toEqual({ callCount: 0, totalTime: 0, totalCputime: 0 });
    expect(usage?.maxPercent).toBe(33);
  });
});
