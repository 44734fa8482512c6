import { startHarness, type Harness } from '../../platforms/support';

// Raw wire JSON, asserted field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

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

  it('injects 429s: per account with an Instagram code and Retry-After, app-wide for a while, and clears them', async () => {
    const [ig] = (await control('GET', '/accounts/instagram?limit=1')).body as unknown as {
      externalId: string;
    }[];
    const token = h.sim.control.issueTokens('instagram', ig.externalId).accessToken;
    await control('POST', `/accounts/instagram/${ig.externalId}/fail-next`, {
      count: 1,
      failure: 'rate_limited',
      instagramCode: 17,
      retryAfterSeconds: 30,
    });
    await expect(h.instagram.getProfile(token)).rejects.toMatchObject({
      kind: 'rate_limited',
      code: 'IG_17',
      retryAfterMs: 30_000,
    });
    await h.instagram.getProfile(token);

    expect((await control('POST', '/throttle', { endpoints: ['instagram.me'], forMs: 60_000 })).status).toBe(
      200,
    );
    // Meta's app-wide code by default, with no Retry-After: the client falls back to its 5 minutes.
    await expect(h.instagram.getProfile(token)).rejects.toMatchObject({
      code: 'IG_4',
      retryAfterMs: 5 * 60_000,
    });
    expect((await control('POST', '/throttle', { endpoints: ['nope'], forMs: 1 })).status).toBe(404);
    await control('DELETE', '/faults');
    await expect(h.instagram.getProfile(token)).resolves.toBeDefined();
  });
});
