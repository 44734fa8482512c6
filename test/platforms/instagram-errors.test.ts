import { createInstagramClient } from '../../src/platforms';
import { expectPlatformError, startHarness, type Harness } from './support';

describe('Instagram error classification against the simulator', () => {
  let h: Harness;
  let externalId: string;
  let token: string;
  beforeEach(async () => {
    h = await startHarness({}, 300);
    externalId = h.sim.control.listAccounts('instagram')[0].externalId;
    token = h.sim.control.issueTokens('instagram', externalId).accessToken;
  });
  afterEach(() => h.sim.stop());

  it.each([
    ['password_changed', 'IG_190_460'],
    ['app_removed', 'IG_190_458'],
    ['checkpoint', 'IG_190_459'],
    ['logged_out', 'IG_190_467'],
    ['expired', 'IG_190_463'],
  ])('invalidation %s is auth_revoked with code %s and the fbtrace_id', async (reason, code) => {
    h.sim.control.invalidateTokens('instagram', externalId, reason);
    const error = await expectPlatformError(h.instagram.getProfile(token));
    expect(error).toMatchObject({ kind: 'auth_revoked', code, httpStatus: 400, endpoint: 'GET /me' });
    expect(error.requestId).toMatch(/^Sim/);
  });

  it('treats an unknown token (or one meant for another host) as auth_revoked 190', async () => {
    const error = await expectPlatformError(h.instagram.getProfile('EAAwrong-host-token'));
    expect(error).toMatchObject({ kind: 'auth_revoked', code: 'IG_190' });
  });

  it('is rate_limited past the BUC budget, waiting estimated_time_to_regain_access minutes', async () => {
    h.sim.control.setQuotas({ instagram: { impressionsPerAccount: 2 / 4800 } });
    await h.instagram.getProfile(token);
    await h.instagram.getProfile(token);
    const error = await expectPlatformError(h.instagram.getProfile(token));
    expect(error).toMatchObject({ kind: 'rate_limited', code: 'IG_80002' });
    // The window is a rolling 24 h: access returns when the first call leaves it.
    expect(error.retryAfterMs).toBe(24 * 60 * 60_000);
  });

  it.each([4, 17, 613])(
    'is rate_limited for throttling code %i, under HTTP 403 too',
    async (throttleCode) => {
      h.sim.control.setQuotas({ instagram: { impressionsPerAccount: 1 / 4800, throttleCode } });
      h.sim.control.configure({ instagram: { throttleStatus: 403 } });
      await h.instagram.getProfile(token);
      const error = await expectPlatformError(h.instagram.getProfile(token));
      expect(error).toMatchObject({ kind: 'rate_limited', code: `IG_${throttleCode}`, httpStatus: 403 });
    },
  );

  it('is rate_limited on the app-wide platform limit (code 4), with a default wait when no hint is sent', async () => {
    h.sim.control.setQuotas({ instagram: { dailyActiveUsers: 1 / 200 } });
    await h.instagram.getProfile(token);
    const error = await expectPlatformError(h.instagram.getProfile(token));
    expect(error).toMatchObject({ kind: 'rate_limited', code: 'IG_4', retryAfterMs: 5 * 60_000 });
  });

  it.each([
    ['transient', 'IG_2'],
    ['http_error', /^HTTP_50[23]$/],
    ['malformed', 'MALFORMED'],
    ['timeout', 'TIMEOUT'],
  ] as const)('is transient for an injected %s failure', async (failure, code) => {
    h.sim.control.failNextCalls('instagram', externalId, 1, { failure });
    const error = await expectPlatformError(h.instagram.listRecentMedia(token, 10));
    expect(error.kind).toBe('transient');
    expect(error.code).toEqual(typeof code === 'string' ? code : expect.stringMatching(code));
    // The rule fired once: the next call goes through.
    await expect(h.instagram.listRecentMedia(token, 10)).resolves.toHaveProperty('value.length', 10);
  });

  it('is transient for code 1/2 under HTTP 500 as well', async () => {
    h.sim.control.configure({ instagram: { transientStatus: 500 } });
    h.sim.control.failNextCalls('instagram', externalId, 1);
    const error = await expectPlatformError(h.instagram.getProfile(token));
    expect(error).toMatchObject({ kind: 'transient', code: 'IG_2', httpStatus: 500 });
  });

  it('is transient when nothing listens (connection refused)', async () => {
    const client = createInstagramClient({
      ...h.config,
      instagram: { ...h.config.instagram, graphUrl: 'http://127.0.0.1:9' },
    });
    const error = await expectPlatformError(client.getProfile(token));
    expect(error).toMatchObject({ kind: 'transient', code: 'NETWORK' });
  });

  it('is permission_missing (code 10) when instagram_business_basic was not granted', async () => {
    const limited = h.sim.control.issueTokens('instagram', externalId, {
      scopes: ['instagram_business_manage_insights'],
    });
    const error = await expectPlatformError(h.instagram.getProfile(limited.accessToken));
    expect(error).toMatchObject({ kind: 'permission_missing', code: 'IG_10' });
  });

  it('is invalid_request (code 100) for a call the platform refuses as malformed', async () => {
    const { code } = h.sim.control.issueAuthCode('instagram', externalId);
    const short = await h.instagram.exchangeCodeForShortLivedToken(code);
    const error = await expectPlatformError(
      h.instagram.refreshToken({
        accessToken: short.value.accessToken,
        refreshToken: null,
        obtainedAt: new Date(0),
        externalId,
      }),
    );
    expect(error).toMatchObject({ kind: 'invalid_request', code: 'IG_100' });
  });
});
