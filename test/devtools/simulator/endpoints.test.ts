import { createHash } from 'node:crypto';
import { startHarness, type Harness } from '../../platforms/support';

// Raw wire JSON, asserted field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

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
      `${h.config.instagram.authorizeUrl}?${new URLSearchParams({ client_id: h.config.instagram.appId, redirect_uri: h.config.instagram.redirectUri, response_type: 'code', state: 's1', sim_decision: 'allow' })}`,
      { redirect: 'manual' },
    );
    const igLocation = ig.headers.get('location')!;
    expect(igLocation).toMatch(/#_$/);
    const igCode = new URL(igLocation).searchParams.get('code')!;
    // No sim_account: the first seeded account consents.
    const firstIg = h.sim.control.listAccounts('instagram')[0].externalId;
    await expect(h.instagram.exchangeCode(`${igCode}#_`)).resolves.toMatchObject({
      value: { externalId: firstIg },
    });

    const verifier = 'a-verifier-that-is-long-enough-0123456789';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const tt = await fetch(
      `${h.config.tiktok.authorizeUrl}?${new URLSearchParams({ client_key: h.config.tiktok.clientKey, redirect_uri: h.config.tiktok.redirectUri, response_type: 'code', scope: 'user.info.basic', state: 's2', code_challenge: challenge, code_challenge_method: 'S256', sim_decision: 'allow' })}`,
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

  it('the dialogs refuse another app or redirect URI, and consent as sim_account when it is given', async () => {
    const { appId, redirectUri, authorizeUrl } = h.config.instagram;
    const dialog = (params: Record<string, string>) =>
      fetch(`${authorizeUrl}?${new URLSearchParams({ response_type: 'code', state: 's', ...params })}`, {
        redirect: 'manual',
      });
    const wrongApp = await dialog({ client_id: 'someone-else', redirect_uri: redirectUri });
    expect(wrongApp.status).toBe(400);
    expect(await wrongApp.json()).toEqual({ error: 'invalid client_id' });
    expect((await dialog({ client_id: appId })).status).toBe(400);

    const chosen = h.sim.control.listAccounts('instagram')[3].externalId;
    const consented = await dialog({
      client_id: appId,
      redirect_uri: redirectUri,
      sim_account: chosen,
      sim_decision: 'allow',
    });
    expect(consented.status).toBe(302);
    const code = new URL(consented.headers.get('location')!).searchParams.get('code')!;
    await expect(h.instagram.exchangeCode(code)).resolves.toMatchObject({ value: { externalId: chosen } });
    expect(h.sim.control.accountStats('instagram', chosen)['instagram.authorize']).toEqual({
      total: 1,
      ok: 1,
      failed: 0,
    });

    const tt = await fetch(
      `${h.config.tiktok.authorizeUrl}?${new URLSearchParams({ client_key: h.config.tiktok.clientKey, redirect_uri: 'https://elsewhere.test/cb', sim_account: 'x' })}`,
      { redirect: 'manual' },
    );
    expect(tt.status).toBe(400);
    expect(await tt.json()).toEqual({ error: 'redirect_uri does not match the registered one' });
  });

  it.each([
    ['instagram', { error_reason: 'user_denied', error_description: 'The user denied your request' }],
    ['tiktok', { error_description: 'The user denied the authorization request.' }],
  ] as const)(
    'the %s dialog shows a consent screen whose Cancel sends the browser back with error=access_denied',
    async (platform, denial) => {
      const app: Record<string, string> =
        platform === 'instagram'
          ? { client_id: h.config.instagram.appId, redirect_uri: h.config.instagram.redirectUri }
          : { client_key: h.config.tiktok.clientKey, redirect_uri: h.config.tiktok.redirectUri };
      const authorizeUrl = h.config[platform].authorizeUrl;
      const params = { ...app, response_type: 'code', state: 'st<&>' };
      const screen = await fetch(`${authorizeUrl}?${new URLSearchParams(params)}`, { redirect: 'manual' });
      expect(screen.status).toBe(200);
      expect(screen.headers.get('content-type')).toMatch(/^text\/html/);
      const page = await screen.text();
      expect(page).toContain('name="sim_decision" value="allow"');
      expect(page).toContain('name="sim_decision" value="deny"');
      // Every dialog parameter rides along, escaped; the account shown is the one that will consent.
      expect(page).toContain('name="state" value="st&#60;&#38;&#62;"');
      const account = /name="sim_account" value="([^"]+)"/.exec(page)![1];
      expect(page).toContain(`@${h.sim.control.getAccount(platform, account).username}`);

      const denied = await fetch(
        `${authorizeUrl}?${new URLSearchParams({ ...params, sim_account: account, sim_decision: 'deny' })}`,
        { redirect: 'manual' },
      );
      expect(denied.status).toBe(302);
      const back = new URL(denied.headers.get('location')!);
      expect(back.origin + back.pathname).toBe(h.config[platform].redirectUri);
      expect(Object.fromEntries(back.searchParams)).toEqual({
        error: 'access_denied',
        ...denial,
        state: 'st<&>',
      });
    },
  );

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
