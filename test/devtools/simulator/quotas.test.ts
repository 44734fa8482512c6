import { isPlatformError, type PlatformResult } from '../../../src/platforms';
import { startHarness, type Harness } from '../../platforms/support';

/** Runs `count` calls at once and counts how they ended. */
async function burst(count: number, call: (i: number) => Promise<PlatformResult<unknown>>) {
  const outcomes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      call(i).then(
        () => 'ok',
        (error: unknown) => (isPlatformError(error) ? error.kind : `unexpected: ${String(error)}`),
      ),
    ),
  );
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

describe('TikTok quota: 600 requests per endpoint per sliding minute', () => {
  let h: Harness;
  let tokens: string[];
  beforeEach(async () => {
    h = await startHarness({ accountsPerPlatform: 50 }, 20_000);
    tokens = h.sim.control.issueTokensForAccounts('tiktok').map((set) => set.accessToken);
    // A 1,000-call burst takes seconds of real time on a loaded machine; window arithmetic must not depend on it.
    h.sim.control.freezeClock();
  });
  afterEach(() => h.sim.stop());

  const token = (i: number) => tokens[i % tokens.length];

  it('lets exactly 600 of 1,000 parallel user/info calls through, and 600 of 1,000 video/list calls', async () => {
    const [profiles, videos] = await Promise.all([
      burst(1000, (i) => h.tiktok.getProfile(token(i))),
      burst(1000, (i) => h.tiktok.listRecentMedia(token(i), 5)),
    ]);
    expect(profiles).toEqual({ ok: 600, rate_limited: 400 });
    expect(videos).toEqual({ ok: 600, rate_limited: 400 });
    expect(h.sim.control.endpointStats('tiktok.user_info')).toMatchObject({
      total: 1000,
      ok: 600,
      throttled: 400,
      maxInWindow: 1000,
    });
    expect(h.sim.control.endpointStats('tiktok.video_list')).toMatchObject({
      ok: 600,
      throttled: 400,
      byStatus: { 200: 600, 429: 400 },
    });
  }, 30_000);

  it('frees the window once a minute has passed', async () => {
    expect(await burst(1000, (i) => h.tiktok.getProfile(token(i)))).toEqual({ ok: 600, rate_limited: 400 });
    h.sim.control.advanceClock(59_000);
    expect(await burst(5, (i) => h.tiktok.getProfile(token(i)))).toEqual({ rate_limited: 5 });
    h.sim.control.advanceClock(2_000);
    expect(await burst(1000, (i) => h.tiktok.getProfile(token(i)))).toEqual({ ok: 600, rate_limited: 400 });
  }, 30_000);

  it('slides: requests leave the window one by one as they age, not all at a fixed boundary', async () => {
    expect(await burst(300, (i) => h.tiktok.getProfile(token(i)))).toEqual({ ok: 300 });
    h.sim.control.advanceClock(30_000);
    expect(await burst(400, (i) => h.tiktok.getProfile(token(i)))).toEqual({ ok: 300, rate_limited: 100 });
    h.sim.control.advanceClock(31_000); // the first 300 are out of the window, the next 300 are not
    expect(await burst(400, (i) => h.tiktok.getProfile(token(i)))).toEqual({ ok: 300, rate_limited: 100 });
  }, 30_000);

  it('counts per app x user when configured so', async () => {
    h.sim.control.setQuotas({ tiktok: { requestsPerWindow: 5, keying: 'app_user' } });
    expect(await burst(8, () => h.tiktok.getProfile(tokens[0]))).toEqual({ ok: 5, rate_limited: 3 });
    expect(await burst(8, () => h.tiktok.getProfile(tokens[1]))).toEqual({ ok: 5, rate_limited: 3 });
  });
});

describe('Instagram business-use-case budget', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({
      quotas: { instagram: { impressionsPerAccount: 10 / 4800, usageHeadersFromPercent: 50 } },
    });
  });
  afterEach(() => h.sim.stop());

  it('sends usage headers from the threshold, climbing to 100 %, then throttles until the 24 h window recovers', async () => {
    const account = h.sim.control.listAccounts('instagram')[0].externalId;
    const token = h.sim.control.issueTokens('instagram', account).accessToken;
    const seen: (number | null)[] = [];
    for (let i = 0; i < 10; i++)
      seen.push((await h.instagram.getProfile(token)).usage?.businessUseCase?.callCount ?? null);
    expect(seen).toEqual([null, null, null, null, 50, 60, 70, 80, 90, 100]);

    await expect(h.instagram.getProfile(token)).rejects.toMatchObject({
      kind: 'rate_limited',
      code: 'IG_80002',
    });
    // Another account has its own budget.
    const otherAccount = h.sim.control.listAccounts('instagram')[1].externalId;
    const other = h.sim.control.issueTokens('instagram', otherAccount).accessToken;
    await expect(h.instagram.getProfile(other)).resolves.toMatchObject({
      value: { externalId: otherAccount },
    });

    h.sim.control.advanceClock(24 * 3_600_000 + 1000);
    await expect(h.instagram.getProfile(token)).resolves.toMatchObject({ value: { externalId: account } });
  });
});
