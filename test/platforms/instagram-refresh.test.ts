import { DAY_MS, HOUR_MS, expectPlatformError, startHarness, type Harness } from './support';

describe('Instagram token refresh against the simulator', () => {
  let h: Harness;
  let externalId: string;
  beforeEach(async () => {
    h = await startHarness();
    externalId = h.sim.control.listAccounts('instagram')[0].externalId;
  });
  afterEach(() => h.sim.stop());

  const refreshCalls = () => h.sim.control.endpointStats('instagram.refresh_token');

  it('reports a token under 24 h old as too_young without calling the platform', async () => {
    const tokens = h.sim.control.issueTokens('instagram', externalId, {
      issuedAt: new Date(h.sim.control.now().getTime() - 23 * HOUR_MS),
    });

    const { value } = await h.instagram.refreshToken(tokens);

    expect(value).toEqual({ kind: 'too_young', retryAfter: new Date(tokens.obtainedAt.getTime() + DAY_MS) });
    expect(refreshCalls().total).toBe(0);
  });

  it("maps the platform's own too-young refusal to too_young, not to a failure", async () => {
    const tokens = h.sim.control.issueTokens('instagram', externalId); // issued now, in the simulator
    const claimedObtainedAt = new Date(h.sim.control.now().getTime() - 25 * HOUR_MS); // but we believe it is older

    const { value } = await h.instagram.refreshToken({ ...tokens, obtainedAt: claimedObtainedAt });

    expect(value.kind).toBe('too_young');
    expect(refreshCalls()).toMatchObject({ total: 1, error: 1 });
    const retryAfter = (value as { retryAfter: Date }).retryAfter.getTime();
    expect(retryAfter).toBeGreaterThanOrEqual(h.sim.control.now().getTime() + HOUR_MS - 1000);
  });

  it('refreshes a token older than 24 h: new token, 60 days from now (sliding), computed from expires_in', async () => {
    const tokens = h.sim.control.issueTokens('instagram', externalId);
    h.sim.control.advanceClock(25 * HOUR_MS);

    const { value } = await h.instagram.refreshToken({ ...tokens, externalId });

    if (value.kind !== 'refreshed') throw new Error('expected a refresh');
    expect(value.tokens.accessToken).not.toBe(tokens.accessToken);
    expect(value.tokens.externalId).toBe(externalId);
    expect(value.tokens.obtainedAt.getTime()).toBeGreaterThanOrEqual(
      tokens.obtainedAt.getTime() + 25 * HOUR_MS,
    );
    expect(value.tokens.accessExpiresAt.getTime() - value.tokens.obtainedAt.getTime()).toBe(5_183_944_000);
    await expect(h.instagram.getProfile(value.tokens.accessToken)).resolves.toMatchObject({
      value: { externalId },
    });
  });

  it('looks the account id up with GET /me when the caller does not pass it', async () => {
    const tokens = h.sim.control.issueTokens('instagram', externalId, {
      issuedAt: new Date(h.sim.control.now().getTime() - 2 * DAY_MS),
    });
    const { value } = await h.instagram.refreshToken({
      accessToken: tokens.accessToken,
      refreshToken: null,
      obtainedAt: tokens.obtainedAt,
    });
    expect(value).toMatchObject({ kind: 'refreshed', tokens: { externalId } });
  });

  it('refreshes with GET only: the simulator refuses POST, the client never sends it', async () => {
    const tokens = h.sim.control.issueTokens('instagram', externalId, {
      issuedAt: new Date(h.sim.control.now().getTime() - 2 * DAY_MS),
    });
    const url = `${h.config.instagram.graphUrl}/refresh_access_token?grant_type=ig_refresh_token&access_token=${tokens.accessToken}`;
    const posted = await fetch(url, { method: 'POST' });
    expect(posted.status).toBe(400);
    expect(await posted.json()).toMatchObject({
      error: { code: 100, message: 'Unsupported request - method type: post' },
    });

    await expect(h.instagram.refreshToken({ ...tokens, externalId })).resolves.toMatchObject({
      value: { kind: 'refreshed' },
    });
    expect(refreshCalls().byMethod).toEqual({ POST: 1, GET: 1 });
  });

  it('keeps a token alive by refreshing inside its 60 days, twice (sliding expiry)', async () => {
    let tokens = h.sim.control.issueTokens('instagram', externalId);
    for (let round = 0; round < 2; round++) {
      h.sim.control.advanceClock(59 * DAY_MS);
      const { value } = await h.instagram.refreshToken({ ...tokens, externalId });
      if (value.kind !== 'refreshed') throw new Error('expected a refresh');
      tokens = { ...tokens, ...value.tokens };
    }
    await expect(h.instagram.getProfile(tokens.accessToken)).resolves.toMatchObject({
      value: { externalId },
    });
  });

  it('reports an expired token (61 days) as auth_revoked 190/463: refresh is no longer possible', async () => {
    const tokens = h.sim.control.issueTokens('instagram', externalId);
    h.sim.control.advanceClock(61 * DAY_MS);
    const error = await expectPlatformError(h.instagram.refreshToken(tokens));
    expect(error).toMatchObject({
      kind: 'auth_revoked',
      code: 'IG_190_463',
      endpoint: 'GET /refresh_access_token',
    });
    expect(error.requestId).toEqual(expect.any(String));
  });
});
