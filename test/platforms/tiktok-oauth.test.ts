import { DAY_MS, HOUR_MS, expectPlatformError, startHarness, type Harness } from './support';

describe('TikTok tokens against the simulator', () => {
  let h: Harness;
  let openId: string;
  beforeEach(async () => {
    h = await startHarness();
    openId = h.sim.control.listAccounts('tiktok')[0].externalId;
  });
  afterEach(() => h.sim.stop());

  const refreshes = () => h.sim.control.accountStats('tiktok', openId)['tiktok.token.refresh_token'];

  it('exchanges a code with a form-encoded body; expiries come from expires_in / refresh_expires_in (preset A)', async () => {
    const { code } = h.sim.control.issueAuthCode('tiktok', openId);
    const { value, requestId } = await h.tiktok.exchangeCode(code);
    expect(value.externalId).toBe(openId);
    expect(value.accessToken).toMatch(/^act\./);
    expect(value.refreshToken).toMatch(/^rft\./);
    expect(value.accessExpiresAt.getTime() - value.obtainedAt.getTime()).toBe(86_400_000);
    expect(value.refreshExpiresAt!.getTime() - value.obtainedAt.getTime()).toBe(31_536_000_000);
    expect(value.scopes).toEqual(['user.info.basic', 'user.info.profile', 'user.info.stats', 'video.list']);
    expect(requestId).toEqual(expect.any(String));
  });

  it('uses the newer lifetimes when the platform sends them (preset B: 2 h / 180 d)', async () => {
    h.sim.control.configure({ tiktok: { lifetimes: 'B' } });
    const { code } = h.sim.control.issueAuthCode('tiktok', openId);
    const { value } = await h.tiktok.exchangeCode(code);
    expect(value.accessExpiresAt.getTime() - value.obtainedAt.getTime()).toBe(2 * HOUR_MS);
    expect(value.refreshExpiresAt!.getTime() - value.obtainedAt.getTime()).toBe(180 * DAY_MS);
  });

  it('is refused by the simulator when the token request is JSON (the client never sends that)', async () => {
    const { code } = h.sim.control.issueAuthCode('tiktok', openId);
    const { clientKey, clientSecret, redirectUri, apiUrl } = h.config.tiktok;
    const response = await fetch(`${apiUrl}/v2/oauth/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_key: clientKey,
        client_secret: clientSecret,
        code,
        grant_type: 'authorization_code',
        redirect_uri: redirectUri,
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    // The same code still works through the client (the refused request did not consume it).
    await expect(h.tiktok.exchangeCode(code)).resolves.toMatchObject({ value: { externalId: openId } });
  });

  it('decodes a code that arrives still percent-encoded (codes contain * and !)', async () => {
    const { code } = h.sim.control.issueAuthCode('tiktok', openId);
    expect(code).toMatch(/[*!]/);
    await expect(
      h.tiktok.exchangeCode(encodeURIComponent(code).replace(/\*/g, '%2A')),
    ).resolves.toMatchObject({ value: { externalId: openId } });
  });

  it('reports the scopes actually granted, a subset of those asked', async () => {
    const { code } = h.sim.control.issueAuthCode('tiktok', openId, { scopes: ['user.info.basic'] });
    const { value } = await h.tiktok.exchangeCode(code);
    expect(value.scopes).toEqual(['user.info.basic']);
  });

  it('rotates the refresh token (strict): the new one replaces the old, which then answers invalid_grant', async () => {
    const first = h.sim.control.issueTokens('tiktok', openId);
    const { value } = await h.tiktok.refreshToken(first);
    if (value.kind !== 'refreshed') throw new Error('expected a refresh');
    expect(value.tokens.refreshToken).not.toBe(first.refreshToken);
    expect(value.tokens.accessToken).not.toBe(first.accessToken);

    const error = await expectPlatformError(h.tiktok.refreshToken(first));
    expect(error).toMatchObject({ kind: 'auth_revoked', code: 'TT_invalid_grant', httpStatus: 400 });
    expect(error.requestId).toEqual(expect.any(String));
    await expect(h.tiktok.refreshToken(value.tokens)).resolves.toMatchObject({
      value: { kind: 'refreshed' },
    });
    expect(refreshes()).toEqual({ total: 3, ok: 2, failed: 1 });
  });

  it('keeps the same refresh token under lenient rotation, and the old one keeps working', async () => {
    h.sim.control.configure({ tiktok: { rotation: 'lenient' } });
    const first = h.sim.control.issueTokens('tiktok', openId);
    const { value } = await h.tiktok.refreshToken(first);
    if (value.kind !== 'refreshed') throw new Error('expected a refresh');
    expect(value.tokens.refreshToken).toBe(first.refreshToken);
    await expect(h.tiktok.refreshToken(first)).resolves.toMatchObject({ value: { kind: 'refreshed' } });
  });

  it('takes refresh_expires_in as the remaining lifetime (fixed window from the first consent)', async () => {
    const first = h.sim.control.issueTokens('tiktok', openId);
    h.sim.control.advanceClock(100 * DAY_MS);
    const { value } = await h.tiktok.refreshToken(first);
    if (value.kind !== 'refreshed') throw new Error('expected a refresh');
    expect(
      Math.abs(value.tokens.refreshExpiresAt!.getTime() - first.refreshExpiresAt!.getTime()),
    ).toBeLessThan(1000);
  });

  it('reports an expired refresh token (past 365 days) as auth_revoked', async () => {
    const first = h.sim.control.issueTokens('tiktok', openId);
    h.sim.control.advanceClock(366 * DAY_MS);
    await expect(h.tiktok.refreshToken(first)).rejects.toMatchObject({
      kind: 'auth_revoked',
      code: 'TT_invalid_grant',
    });
  });

  it('still sees an OAuth error sent with HTTP 200', async () => {
    h.sim.control.configure({ tiktok: { oauthErrorStatus: 200 } });
    const error = await expectPlatformError(h.tiktok.exchangeCode('not-a-code'));
    expect(error).toMatchObject({ kind: 'auth_revoked', code: 'TT_invalid_grant', httpStatus: 200 });
  });

  it('refuses to refresh without a stored refresh token, before any call', async () => {
    const error = await expectPlatformError(
      h.tiktok.refreshToken({ accessToken: 'act.x', refreshToken: null, obtainedAt: new Date() }),
    );
    expect(error).toMatchObject({ kind: 'invalid_request', code: 'NO_REFRESH_TOKEN' });
  });
});
