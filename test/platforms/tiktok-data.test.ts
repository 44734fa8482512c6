import type { FetchLike } from '../../src/platforms';
import { accountWithPosts, expectPlatformError, profileOf, startHarness, type Harness } from './support';

describe('TikTok profile, videos and errors against the simulator', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ accountsPerPlatform: 12 }, 300);
  });
  afterEach(() => h.sim.stop());

  const tokenFor = (openId: string, scopes?: string[]) =>
    h.sim.control.issueTokens('tiktok', openId, { scopes }).accessToken;
  const listCalls = () => h.sim.control.endpointStats('tiktok.video_list').total;
  const firstOpenId = () => h.sim.control.listAccounts('tiktok')[0].externalId;
  /** Public videos only: video/list never lists private ones. */
  const publicVideos = (openId: string) =>
    h.sim.control.listPosts('tiktok', openId).filter((post) => post.isPublic);

  it('reads the profile counters', async () => {
    const account = h.sim.control.listAccounts('tiktok')[2];
    const { value, requestId, usage } = await h.tiktok.getProfile(tokenFor(account.externalId));
    expect(value).toEqual(profileOf(account));
    expect(requestId).toMatch(/^\d{14}[0-9A-F]+$/);
    expect(usage).toBeNull();
  });

  it('pages 25 public videos, newest first, in exactly 2 calls (max_count 20)', async () => {
    const openId = accountWithPosts(h.sim, 'tiktok', 30);
    const expected = publicVideos(openId).slice(0, 25);
    const { value } = await h.tiktok.listRecentMedia(tokenFor(openId), 25);
    expect(value.map((video) => video.platformId)).toEqual(expected.map((post) => post.id));
    expect(value[3]).toMatchObject({
      type: 'VIDEO',
      likes: expected[3].likes,
      comments: expected[3].comments,
      shares: expected[3].shares,
      views: expected[3].views,
      publishedAt: expected[3].publishedAt,
    });
    expect(listCalls()).toBe(2);
  });

  it('keeps paging on has_more when pages come back shorter than max_count', async () => {
    h.sim.control.configure({ tiktok: { shortPageRate: 1 } });
    const openId = accountWithPosts(h.sim, 'tiktok', 30);
    const expected = publicVideos(openId).slice(0, 25);
    const { value } = await h.tiktok.listRecentMedia(tokenFor(openId), 25);
    expect(value.map((video) => video.platformId)).toEqual(expected.map((post) => post.id));
    expect(listCalls()).toBeGreaterThan(2);
  });

  it('stops when has_more is false', async () => {
    const openId = h.sim.control.addAccount('tiktok', { postCount: 0 }).externalId;
    for (let i = 0; i < 3; i++)
      h.sim.control.addPost('tiktok', openId, {
        isPublic: true,
        publishedAt: new Date(Date.now() - (i + 1) * 60_000),
      });
    const { value } = await h.tiktok.listRecentMedia(tokenFor(openId), 25);
    expect(value).toHaveLength(3);
    expect(listCalls()).toBe(1);
  });

  it('is auth_revoked for access_token_invalid (revoked, then under HTTP 200 too), with the log_id', async () => {
    const openId = firstOpenId();
    const token = tokenFor(openId);
    h.sim.control.invalidateTokens('tiktok', openId, 'revoked');
    const error = await expectPlatformError(h.tiktok.getProfile(token));
    expect(error).toMatchObject({ kind: 'auth_revoked', code: 'TT_access_token_invalid', httpStatus: 401 });
    expect(error.requestId).toMatch(/^\d{14}/);

    h.sim.control.configure({ tiktok: { errorsWithHttp200: true } });
    const quirk = await expectPlatformError(h.tiktok.getProfile(token));
    expect(quirk).toMatchObject({ kind: 'auth_revoked', code: 'TT_access_token_invalid', httpStatus: 200 });
  });

  it('is auth_revoked when the access token expired', async () => {
    const openId = firstOpenId();
    const token = tokenFor(openId);
    h.sim.control.advanceClock(86_401_000);
    await expect(h.tiktok.listRecentMedia(token, 5)).rejects.toMatchObject({
      kind: 'auth_revoked',
      code: 'TT_access_token_invalid',
    });
  });

  it.each(['scope_not_authorized', 'scope_permission_missed'] as const)(
    'is permission_missing for %s',
    async (scopeError) => {
      h.sim.control.configure({ tiktok: { scopeError } });
      const token = tokenFor(firstOpenId(), ['user.info.basic', 'video.list']);
      await expect(h.tiktok.getProfile(token)).rejects.toMatchObject({
        kind: 'permission_missing',
        code: `TT_${scopeError}`,
      });
    },
  );

  it('is rate_limited (429 rate_limit_exceeded) past the per-endpoint quota, with no wait it was not told', async () => {
    h.sim.control.setQuotas({ tiktok: { requestsPerWindow: 1 } });
    const token = tokenFor(firstOpenId());
    await h.tiktok.getProfile(token);
    // TikTok sends no Retry-After: the error carries none, and the sync budget derives the wait itself.
    await expect(h.tiktok.getProfile(token)).rejects.toMatchObject({
      kind: 'rate_limited',
      code: 'TT_rate_limit_exceeded',
      httpStatus: 429,
      endpoint: 'GET /v2/user/info/',
      retryAfterMs: null,
    });
    // Quotas are per endpoint: video/list still has room.
    await expect(h.tiktok.listRecentMedia(token, 5)).resolves.toHaveProperty('value.length', 5);
  });

  it('reads a Retry-After when a 429 carries one (an app-wide throttle of the simulator)', async () => {
    h.sim.control.throttleEndpoints(['tiktok.video_list'], { forMs: 60_000, retryAfterSeconds: 7 });
    const token = tokenFor(firstOpenId());
    await expect(h.tiktok.listRecentMedia(token, 5)).rejects.toMatchObject({
      kind: 'rate_limited',
      endpoint: 'POST /v2/video/list/',
      retryAfterMs: 7_000,
    });
    // Every account is refused on that endpoint, not on the other.
    const other = h.sim.control.listAccounts('tiktok')[1].externalId;
    await expect(h.tiktok.listRecentMedia(tokenFor(other), 5)).rejects.toMatchObject({
      kind: 'rate_limited',
    });
    await expect(h.tiktok.getProfile(token)).resolves.toBeDefined();
  });

  it('asks for full pages and stops on enough: 18-of-20 short pages reach 25 videos in 2 calls, each announced first', async () => {
    const bodies: unknown[] = [];
    const spy: FetchLike = (url, init) => {
      if (url.includes('/v2/video/list/')) bodies.push(JSON.parse(String(init.body)));
      return fetch(url, init);
    };
    const short = await startHarness(
      { accountsPerPlatform: 12, tiktok: { shortPageShortfall: 2 } },
      300,
      spy,
    );
    try {
      const openId = accountWithPosts(short.sim, 'tiktok', 30);
      const token = short.sim.control.issueTokens('tiktok', openId).accessToken;
      const expected = short.sim.control
        .listPosts('tiktok', openId)
        .filter((post) => post.isPublic)
        .slice(0, 25);
      const announced: number[] = [];
      const { value } = await short.tiktok.listRecentMedia(token, 25, {
        beforePage: async (page) => void announced.push(page),
      });
      expect(value.map((video) => video.platformId)).toEqual(expected.map((post) => post.id));
      // Not 18, 5, 1, 1 with max_count 20, 7, 2, 1: the page size never shrinks.
      expect(bodies.map((body) => (body as { max_count: number }).max_count)).toEqual([20, 20]);
      expect(announced).toEqual([0, 1]);
    } finally {
      await short.sim.stop();
    }
  });

  it('is rate_limited under HTTP 200 as well', async () => {
    h.sim.control.configure({ tiktok: { errorsWithHttp200: true } });
    h.sim.control.failNextCalls('tiktok', firstOpenId(), 1, { failure: 'rate_limited' });
    await expect(h.tiktok.getProfile(tokenFor(firstOpenId()))).rejects.toMatchObject({
      kind: 'rate_limited',
      httpStatus: 200,
    });
  });

  it.each([
    ['transient', 'TT_internal_error'],
    ['http_error', /^HTTP_50[23]$/],
    ['malformed', 'MALFORMED'],
    ['timeout', 'TIMEOUT'],
  ] as const)('is transient for an injected %s failure', async (failure, code) => {
    const openId = firstOpenId();
    h.sim.control.failNextCalls('tiktok', openId, 1, { failure, endpoints: ['tiktok.video_list'] });
    const error = await expectPlatformError(h.tiktok.listRecentMedia(tokenFor(openId), 5));
    expect(error.kind).toBe('transient');
    expect(error.code).toEqual(typeof code === 'string' ? code : expect.stringMatching(code));
  });

  it('is transient for internal_error under HTTP 200 (errors are read from error.code on every answer)', async () => {
    h.sim.control.configure({ tiktok: { errorsWithHttp200: true } });
    h.sim.control.failNextCalls('tiktok', firstOpenId(), 1);
    await expect(h.tiktok.getProfile(tokenFor(firstOpenId()))).rejects.toMatchObject({
      kind: 'transient',
      code: 'TT_internal_error',
      httpStatus: 200,
    });
  });

  it('is transient for a refresh when the token endpoint is temporarily unavailable', async () => {
    const tokens = h.sim.control.issueTokens('tiktok', firstOpenId());
    h.sim.control.failNextCalls('tiktok', firstOpenId(), 1, { endpoints: ['tiktok.token.refresh_token'] });
    await expect(h.tiktok.refreshToken(tokens)).rejects.toMatchObject({
      kind: 'transient',
      code: 'TT_temporarily_unavailable',
    });
    await expect(h.tiktok.refreshToken(tokens)).resolves.toMatchObject({ value: { kind: 'refreshed' } });
  });
});
