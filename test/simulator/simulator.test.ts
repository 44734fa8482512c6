import { createHash } from 'node:crypto';
import { createSimulator, type Simulator } from '../../src/simulator';
import { DAY_MS, startHarness, type Harness } from '../platforms/support';

// Raw wire JSON, asserted field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

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

describe('simulated endpoints', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.sim.stop());

  const graph = (path: string) =>
    fetch(`${h.config.instagram.graphUrl}${path}`).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as Json,
    }));

  it('Instagram /me answers only the requested fields plus id, on versioned and unversioned paths', async () => {
    const account = h.sim.control.listAccounts('instagram')[0];
    const token = h.sim.control.issueTokens('instagram', account.externalId).accessToken;
    for (const prefix of ['/v25.0', '']) {
      const { body } = await graph(`${prefix}/me?fields=username&access_token=${token}`);
      expect(body).toEqual({ id: account.secondaryId, username: account.username });
    }
    const { body } = await graph(`/v25.0/${account.externalId}?fields=followers_count&access_token=${token}`);
    expect(body).toEqual({ id: account.secondaryId, followers_count: account.followers });
    expect((await graph(`/me?fields=nope&access_token=${token}`)).body).toMatchObject({
      error: { code: 100 },
    });
  });

  it('Instagram media cursors die with the item they point at', async () => {
    const account = h.sim.control.addAccount('instagram', { postCount: 10 });
    const token = h.sim.control.issueTokens('instagram', account.externalId).accessToken;
    const first = await graph(`/v25.0/me/media?fields=id,timestamp&limit=3&access_token=${token}`);
    expect(first.body.data).toHaveLength(3);
    expect(first.body.data[0].timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
    h.sim.control.deletePost('instagram', account.externalId, first.body.data[2].id);
    const next = new URL(first.body.paging.next);
    expect(
      (await graph(`${next.pathname.replace('/instagram/graph', '')}${next.search}`)).body,
    ).toMatchObject({ error: { code: 100 } });
  });

  it('TikTok video/list refuses max_count above 20 unless configured to clamp', async () => {
    const openId = h.sim.control.listAccounts('tiktok')[0].externalId;
    const token = h.sim.control.issueTokens('tiktok', openId).accessToken;
    const list = (maxCount: number) =>
      fetch(`${h.config.tiktok.apiUrl}/v2/video/list/?fields=id`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ max_count: maxCount }),
      }).then(async (r) => ({
        status: r.status,
        logId: r.headers.get('x-tt-logid'),
        body: (await r.json()) as Json,
      }));
    expect(await list(25)).toMatchObject({ status: 400, body: { error: { code: 'invalid_params' } } });
    h.sim.control.configure({ tiktok: { maxCountOver20: 'clamp' } });
    const clamped = await list(25);
    expect(clamped.body.error.code).toBe('ok');
    expect(clamped.logId).toBe(clamped.body.error.log_id);
  });

  it('TikTok video/query returns owned ids only', async () => {
    const [mine, theirs] = h.sim.control.listAccounts('tiktok');
    const token = h.sim.control.issueTokens('tiktok', mine.externalId).accessToken;
    const myVideo = h.sim.control.addPost('tiktok', mine.externalId, { isPublic: true });
    const theirVideo = h.sim.control.addPost('tiktok', theirs.externalId, { isPublic: true });
    const response = await fetch(`${h.config.tiktok.apiUrl}/v2/video/query/?fields=id,like_count`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ filters: { video_ids: [myVideo.id, theirVideo.id] } }),
    });
    expect(((await response.json()) as Json).data.videos).toEqual([
      { id: myVideo.id, like_count: myVideo.likes },
    ]);
  });

  it('TikTok revoke kills the access token and the refresh token', async () => {
    const openId = h.sim.control.listAccounts('tiktok')[0].externalId;
    const tokens = h.sim.control.issueTokens('tiktok', openId);
    const { clientKey, clientSecret, apiUrl } = h.config.tiktok;
    const response = await fetch(`${apiUrl}/v2/oauth/revoke/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_key: clientKey,
        client_secret: clientSecret,
        token: tokens.accessToken,
      }),
    });
    expect(await response.json()).toEqual({});
    await expect(h.tiktok.getProfile(tokens.accessToken)).rejects.toMatchObject({ kind: 'auth_revoked' });
    await expect(h.tiktok.refreshToken(tokens)).rejects.toMatchObject({ code: 'TT_invalid_grant' });
  });

  it('runs the OAuth dialogs: Instagram redirects with #_, TikTok checks the PKCE verifier', async () => {
    const ig = await fetch(
      `${h.config.instagram.authorizeUrl}?${new URLSearchParams({ client_id: h.config.instagram.appId, redirect_uri: h.config.instagram.redirectUri, response_type: 'code', state: 's1' })}`,
      { redirect: 'manual' },
    );
    const igLocation = ig.headers.get('location')!;
    expect(igLocation).toMatch(/#_$/);
    const igCode = new URL(igLocation).searchParams.get('code')!;
    await expect(h.instagram.exchangeCode(`${igCode}#_`)).resolves.toBeDefined();

    const verifier = 'a-verifier-that-is-long-enough-0123456789';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const tt = await fetch(
      `${h.config.tiktok.authorizeUrl}?${new URLSearchParams({ client_key: h.config.tiktok.clientKey, redirect_uri: h.config.tiktok.redirectUri, response_type: 'code', scope: 'user.info.basic', state: 's2', code_challenge: challenge, code_challenge_method: 'S256' })}`,
      { redirect: 'manual' },
    );
    const ttCode = new URL(tt.headers.get('location')!).searchParams.get('code')!;
    const exchange = (code_verifier: string) =>
      fetch(`${h.config.tiktok.apiUrl}/v2/oauth/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_key: h.config.tiktok.clientKey,
          client_secret: h.config.tiktok.clientSecret,
          grant_type: 'authorization_code',
          redirect_uri: h.config.tiktok.redirectUri,
          code: ttCode,
          code_verifier,
        }),
      }).then((r) => r.json());
    expect(await exchange('wrong')).toMatchObject({ error: 'invalid_grant' });
    expect(await exchange(verifier)).toMatchObject({ scope: 'user.info.basic', token_type: 'Bearer' });
  });

  it('adds latency (fixed + jitter) per endpoint', async () => {
    const openId = h.sim.control.listAccounts('tiktok')[0].externalId;
    const token = h.sim.control.issueTokens('tiktok', openId).accessToken;
    h.sim.control.setFaults({ endpoints: { 'tiktok.user_info': { latencyMs: 150, jitterMs: 50 } } });
    const startedAt = Date.now();
    await h.tiktok.getProfile(token);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(145);
    const quick = Date.now();
    await h.tiktok.listRecentMedia(token, 1);
    expect(Date.now() - quick).toBeLessThan(100);
  });

  it('injects transient errors at the configured rate', async () => {
    const openId = h.sim.control.listAccounts('tiktok')[0].externalId;
    const token = h.sim.control.issueTokens('tiktok', openId).accessToken;
    h.sim.control.setFaults({ all: { errorRate: 0.3 } });
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => h.tiktok.getProfile(token)));
    const failed = results.filter((result) => result.status === 'rejected').length;
    expect(failed).toBeGreaterThan(30);
    expect(failed).toBeLessThan(90);
  });
});

describe('control over HTTP', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.sim.stop());

  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${h.sim.urls.controlUrl}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, Json> };
  };

  it('drives clock, tokens, flaky accounts, request log and reset from another process', async () => {
    const before = new Date((await control('GET', '/clock')).body.now).getTime();
    const moved = await control('POST', '/clock', { advanceMs: 25 * 3_600_000 });
    expect(new Date(moved.body.now).getTime() - before).toBeGreaterThanOrEqual(25 * 3_600_000);

    const accounts = (await control('GET', '/accounts/tiktok?limit=2')).body as unknown as {
      externalId: string;
    }[];
    expect(accounts).toHaveLength(2);
    const minted = (
      await control('POST', '/tokens/tiktok', { externalIds: accounts.map((a) => a.externalId) })
    ).body as unknown as {
      accessToken: string;
      refreshToken: string;
      obtainedAt: string;
    }[];
    expect(minted).toHaveLength(2);
    const [first] = minted;

    await control('POST', `/accounts/tiktok/${accounts[0].externalId}/fail-next`, {
      count: 2,
      failure: 'transient',
    });
    await expect(h.tiktok.getProfile(first.accessToken)).rejects.toMatchObject({ kind: 'transient' });
    await expect(h.tiktok.getProfile(first.accessToken)).rejects.toMatchObject({ kind: 'transient' });
    await h.tiktok.getProfile(first.accessToken);
    const stored = {
      accessToken: first.accessToken,
      refreshToken: first.refreshToken,
      obtainedAt: new Date(first.obtainedAt),
    };
    await h.tiktok.refreshToken(stored);

    const perAccount = await control('GET', `/requests/accounts/tiktok/${accounts[0].externalId}`);
    expect(perAccount.body).toEqual({
      'tiktok.user_info': { total: 3, ok: 1, failed: 2 },
      'tiktok.token.refresh_token': { total: 1, ok: 1, failed: 0 },
    });
    const log = await control('GET', '/requests?accounts=false');
    expect(log.body.endpoints['tiktok.user_info']).toMatchObject({ total: 3, ok: 1, error: 2 });

    expect((await control('POST', `/accounts/instagram/nope/tokens`, {})).status).toBe(404);
    expect((await control('POST', '/reset')).status).toBe(200);
    expect((await control('GET', '/requests')).body).toEqual({ endpoints: {}, accounts: {} });
    const reset = new Date((await control('GET', '/clock')).body.now).getTime();
    expect(reset - Date.now()).toBeLessThan(60_000);
  });

  it('sets faults, quotas and behaviour, invalidates tokens and edits posts', async () => {
    const ig = h.sim.control.listAccounts('instagram')[0].externalId;
    const token = h.sim.control.issueTokens('instagram', ig).accessToken;
    await control('PUT', '/faults', {
      endpoints: { 'instagram.me': { errorRate: 1, errorKind: 'platform' } },
    });
    await expect(h.instagram.getProfile(token)).rejects.toMatchObject({ kind: 'transient', code: 'IG_2' });
    await control('DELETE', '/faults');

    const post = (await control('POST', `/accounts/instagram/${ig}/posts`, { caption: 'fresh', likes: 7 }))
      .body;
    await control('PATCH', `/accounts/instagram/${ig}/posts/${post.id}`, { likes: 9 });
    const { value } = await h.instagram.listRecentMedia(token, 1);
    expect(value[0]).toMatchObject({ platformId: post.id, caption: 'fresh', likes: 9 });

    await control('PUT', '/config', { instagram: { exchangeShape: 'flat' } });
    expect(h.sim.control.settings().instagram.exchangeShape).toBe('flat');
    await control('PUT', '/quotas', { tiktok: { requestsPerWindow: 10 } });
    expect(h.sim.control.settings().quotas.tiktok.requestsPerWindow).toBe(10);

    await control('POST', `/accounts/instagram/${ig}/invalidate`, { reason: 'password_changed' });
    await expect(h.instagram.getProfile(token)).rejects.toMatchObject({ code: 'IG_190_460' });
    expect((await control('POST', `/accounts/instagram/${ig}/invalidate`, { reason: 'bogus' })).status).toBe(
      400,
    );
  });
});
