import { createSimulator, type Simulator } from '../../../src/devtools/simulator';
import { DAY_MS } from '../../platforms/support';

describe('simulator accounts and clock', () => {
  const started: Simulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((sim) => sim.stop()));
  });

  it('seeds the same accounts and posts for the same seed, and others for another seed', () => {
    const ids = (seed: number) => {
      const sim = createSimulator({ seed, accountsPerPlatform: 5 });
      return (['instagram', 'tiktok'] as const).flatMap((platform) =>
        sim.control
          .listAccounts(platform)
          .map(
            (a) => `${a.externalId}/${a.username}/${sim.control.listPosts(platform, a.externalId).length}`,
          ),
      );
    };
    expect(ids(7)).toEqual(ids(7));
    expect(ids(7)).not.toEqual(ids(8));
  });

  it('seeds the configured number of accounts per platform, several with 30-60 posts', () => {
    const sim = createSimulator({ accountsPerPlatform: 40 });
    for (const platform of ['instagram', 'tiktok'] as const) {
      const posts = sim.control
        .listAccounts(platform)
        .map((a) => sim.control.listPosts(platform, a.externalId).length);
      expect(posts).toHaveLength(40);
      expect(posts.filter((count) => count >= 30).length).toBeGreaterThanOrEqual(10);
      expect(Math.max(...posts)).toBeLessThanOrEqual(60);
    }
  });

  it('drifts counters with the simulator clock', () => {
    const sim = createSimulator({ accountsPerPlatform: 3 });
    const id = sim.control.listAccounts('instagram')[0].externalId;
    const before = sim.control.getAccount('instagram', id);
    const likesBefore = sim.control.listPosts('instagram', id).map((post) => post.likes);
    sim.control.advanceClock(3 * DAY_MS);
    expect(sim.control.getAccount('instagram', id).followers).not.toBe(before.followers);
    const likesAfter = sim.control.listPosts('instagram', id).map((post) => post.likes);
    expect(likesAfter.reduce((a, b) => a + b, 0)).toBeGreaterThan(likesBefore.reduce((a, b) => a + b, 0));
  });

  it('grows to thousands of accounts quickly (posts are generated on first use)', () => {
    const sim = createSimulator({ accountsPerPlatform: 1 });
    const startedAt = Date.now();
    sim.control.seedAccounts(5000);
    expect(sim.control.accountCount('tiktok')).toBe(5000);
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });

  it('stops promptly while a request hangs', async () => {
    const sim = createSimulator({ faults: { all: { timeoutRate: 1 }, hangMs: 60_000 } });
    started.push(sim);
    const urls = await sim.start();
    const pending = fetch(`${urls.tiktokApiUrl}/v2/user/info/?fields=open_id`).catch(
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stoppedAt = Date.now();
    await sim.stop();
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
    // fetch rejects (TypeError: fetch failed) once the dropped connection closes.
    expect(await pending).toMatchObject({ name: 'TypeError' });
  });
});
