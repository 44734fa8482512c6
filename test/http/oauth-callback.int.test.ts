import jwt from 'jsonwebtoken';
import { SocialAccount, User } from '../../src/db/entities';
import type { Platform } from '../../src/platforms/types';
import {
  connectSimAccount,
  signUpVerified,
  simAccountId,
  startApiHarness,
  type ApiHarness,
  type TestUser,
} from '../helpers/api';

jest.setTimeout(120_000);

const RETURN_URL = 'https://app.socialsync.test/settings/connections?tab=social';

/**
 * GET /api/v1/oauth/:platform/callback without a browser: every way it can end, as the redirect to
 * CONNECT_RETURN_URL (or the page without one) says it, over the real PostgreSQL, Redis and simulator.
 */
describe('the OAuth callback (real PostgreSQL, Redis, simulator)', () => {
  let h: ApiHarness;
  let page: ApiHarness;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    h = await startApiHarness({ label: 'callback', env: { CONNECT_RETURN_URL: RETURN_URL } });
    page = await startApiHarness({ label: 'callback-page', shared: h });
    [alice, bob] = await Promise.all([signUpVerified(h), signUpVerified(h)]);
  });
  afterAll(async () => {
    await page?.close();
    await h?.close();
  });

  const stateFor = async (user: TestUser, platform: Platform, harness = h): Promise<string> =>
    (await harness.request.get(`/api/v1/accounts/${platform}/authorize-url`).set(user.auth)).body.state;
  const callback = (platform: Platform, query: Record<string, string>, harness = h) =>
    harness.request.get(`/api/v1/oauth/${platform}/callback`).query(query);
  /** The outcome as the app's page would read it from the redirect. */
  const returned = (res: { status: number; headers: Record<string, string> }) => {
    expect(res.status).toBe(302);
    const location = new URL(res.headers.location);
    expect(`${location.origin}${location.pathname}`).toBe('https://app.socialsync.test/settings/connections');
    return Object.fromEntries(location.searchParams);
  };
  const accountsOf = async (user: TestUser) =>
    (await h.request.get('/api/v1/accounts').set(user.auth)).body.accounts as { id: string }[];

  it("connects the state's user, then sends the browser back with the account id and nothing secret", async () => {
    const state = await stateFor(alice, 'tiktok');
    const { code } = h.sim.control.issueAuthCode('tiktok', simAccountId(h, 'tiktok', 0));
    const res = await callback('tiktok', { code, state, scopes: 'user.info.basic' });
    const outcome = returned(res);
    expect(outcome).toEqual({
      tab: 'social',
      status: 'connected',
      platform: 'tiktok',
      accountId: expect.any(String),
    });
    expect((await accountsOf(alice)).map((account) => account.id)).toEqual([outcome.accountId]);
    expect(await accountsOf(bob)).toEqual([]);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const row = await h.db.orm.em
      .fork()
      .findOneOrFail(SocialAccount, { id: outcome.accountId }, { populate: ['accessTokenEnc'] });
    const secrets = [code, state, h.cipher.decrypt(row.accessTokenEnc!)];
    const logged = JSON.stringify(h.logs.lines);
    for (const secret of secrets) {
      expect(res.headers.location).not.toContain(secret);
      expect(res.text).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
    expect(h.logs.lines).toContainEqual(
      expect.objectContaining({ msg: 'oauth callback answered', outcome: 'connected', platform: 'tiktok' }),
    );
  });

  it('refuses a replayed state, here and on POST /connect, and leaves the account as it was', async () => {
    const state = await stateFor(bob, 'instagram');
    const first = h.sim.control.issueAuthCode('instagram', simAccountId(h, 'instagram', 0));
    expect(returned(await callback('instagram', { code: first.code, state }))).toMatchObject({
      status: 'connected',
    });
    const second = h.sim.control.issueAuthCode('instagram', simAccountId(h, 'instagram', 1));
    expect(returned(await callback('instagram', { code: second.code, state }))).toEqual({
      tab: 'social',
      status: 'error',
      platform: 'instagram',
      error: 'STATE_ALREADY_USED',
    });
    const viaJson = await h.request
      .post('/api/v1/accounts/instagram/connect')
      .set(bob.auth)
      .send({ code: second.code, state });
    expect(viaJson.status).toBe(400);
    expect(viaJson.body.error).toBe('STATE_ALREADY_USED');
    expect(await accountsOf(bob)).toHaveLength(1);
  });

  it('refuses a bad, missing, expired or foreign state with INVALID_STATE', async () => {
    const { code } = h.sim.control.issueAuthCode('tiktok', simAccountId(h, 'tiktok', 1));
    const sign = (claims: object, options: jwt.SignOptions) =>
      jwt.sign(claims, h.config.auth.jwtSecret, {
        algorithm: 'HS256',
        subject: alice.id,
        audience: 'socialsync:oauth-state',
        issuer: 'socialsync',
        ...options,
      });
    const expired = sign(
      { platform: 'tiktok', nonce: '6f1c8a52-0d3e-4b7a-9c21-5e8f7a6b4d30' },
      { expiresIn: -10 },
    );
    const otherKey = jwt.sign(
      { platform: 'tiktok', nonce: 'n' },
      'another-secret-that-is-long-enough-000000',
      {
        subject: alice.id,
        audience: 'socialsync:oauth-state',
        issuer: 'socialsync',
        expiresIn: 600,
      },
    );
    const instagramState = await stateFor(alice, 'instagram');
    const queries: Record<string, string>[] = [
      { code, state: 'not-a-state' },
      { code },
      { code, state: expired },
      { code, state: otherKey },
      { code, state: alice.token }, // an API token is not a state
      { code, state: instagramState }, // issued for the other platform
    ];
    for (const query of queries) {
      expect(returned(await callback('tiktok', query))).toMatchObject({
        status: 'error',
        error: 'INVALID_STATE',
      });
    }
    expect(await h.db.orm.em.fork().count(SocialAccount, { externalId: simAccountId(h, 'tiktok', 1) })).toBe(
      0,
    );
  });

  it('puts the account with the user the state names, and refuses the state of a user who can no longer sign in', async () => {
    // Whoever's browser carries it, Carol's state connects to Carol: the state, not the browser, names the user.
    const carol = await signUpVerified(h);
    const carolState = await stateFor(carol, 'tiktok');
    const { code } = h.sim.control.issueAuthCode('tiktok', simAccountId(h, 'tiktok', 2));
    const outcome = returned(await callback('tiktok', { code, state: carolState }));
    expect((await accountsOf(carol)).map((account) => account.id)).toEqual([outcome.accountId]);

    const dave = await signUpVerified(h);
    const daveState = await stateFor(dave, 'tiktok');
    await h.db.orm.em.fork().nativeDelete(User, { id: dave.id });
    const again = h.sim.control.issueAuthCode('tiktok', simAccountId(h, 'tiktok', 3));
    expect(returned(await callback('tiktok', { code: again.code, state: daveState }))).toMatchObject({
      error: 'INVALID_STATE',
    });
  });

  it('answers like POST /connect for an account another user holds (ACCOUNT_ALREADY_CONNECTED)', async () => {
    const state = await stateFor(bob, 'tiktok');
    const { code } = h.sim.control.issueAuthCode('tiktok', simAccountId(h, 'tiktok', 0)); // alice's
    expect(returned(await callback('tiktok', { code, state }))).toMatchObject({
      status: 'error',
      error: 'ACCOUNT_ALREADY_CONNECTED',
    });
  });

  it("turns the platform's refusal into CONSENT_DENIED and keeps the state usable for a later consent", async () => {
    const state = await stateFor(bob, 'tiktok');
    const denied = await callback('tiktok', {
      error: 'access_denied',
      error_description: 'The user denied the authorization request.',
      state,
    });
    expect(returned(denied)).toEqual({
      tab: 'social',
      status: 'error',
      platform: 'tiktok',
      error: 'CONSENT_DENIED',
    });
    // Back on the consent screen, the user allows after all: the same state still works, once.
    const { code } = h.sim.control.issueAuthCode('tiktok', simAccountId(h, 'tiktok', 4));
    expect(returned(await callback('tiktok', { code, state }))).toMatchObject({ status: 'connected' });
  });

  it('answers PLATFORM_ERROR for any other platform error and when the exchange fails; INVALID_OAUTH_CODE for a refused code', async () => {
    const onRedirect = await callback('instagram', {
      error: 'server_error',
      state: await stateFor(bob, 'instagram'),
    });
    expect(returned(onRedirect)).toMatchObject({ error: 'PLATFORM_ERROR' });

    const externalId = simAccountId(h, 'tiktok', 5);
    h.sim.control.setFaults({
      endpoints: { 'tiktok.token.authorization_code': { errorRate: 1, errorKind: 'http' } },
    });
    try {
      const { code } = h.sim.control.issueAuthCode('tiktok', externalId);
      const failed = await callback('tiktok', { code, state: await stateFor(bob, 'tiktok') });
      expect(returned(failed)).toMatchObject({ status: 'error', error: 'PLATFORM_ERROR' });
    } finally {
      h.sim.control.clearFaults();
    }
    expect(await h.db.orm.em.fork().count(SocialAccount, { externalId })).toBe(0);

    const refused = await callback('tiktok', { code: 'made-up-code', state: await stateFor(bob, 'tiktok') });
    expect(returned(refused)).toMatchObject({ error: 'INVALID_OAUTH_CODE' });
    const noCode = await callback('tiktok', { state: await stateFor(bob, 'tiktok') });
    expect(returned(noCode)).toMatchObject({ error: 'VALIDATION_FAILED' });
  });

  it('shares the connection limit with POST /connect, per user, and says RATE_LIMIT_EXCEEDED', async () => {
    const limited = await startApiHarness({
      label: 'callback-limit',
      shared: h,
      env: { CONNECT_RETURN_URL: RETURN_URL, RATE_LIMIT_CONNECTION: '1/1d' },
    });
    try {
      const erin = await signUpVerified(limited);
      const viaJson = await connectSimAccount(limited, erin, 'instagram', simAccountId(h, 'instagram', 4));
      expect(viaJson.status).toBe(201);
      const { code } = limited.sim.control.issueAuthCode('instagram', simAccountId(h, 'instagram', 5));
      const res = await callback(
        'instagram',
        { code, state: await stateFor(erin, 'instagram', limited) },
        limited,
      );
      expect(returned(res)).toMatchObject({ status: 'error', error: 'RATE_LIMIT_EXCEEDED' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      // Another user's budget is their own.
      const frank = await signUpVerified(limited);
      const other = limited.sim.control.issueAuthCode('instagram', simAccountId(h, 'instagram', 5));
      const own = await callback(
        'instagram',
        { code: other.code, state: await stateFor(frank, 'instagram', limited) },
        limited,
      );
      expect(returned(own)).toMatchObject({ status: 'connected' });
    } finally {
      await limited.close();
    }
  });

  describe('without CONNECT_RETURN_URL', () => {
    it('answers a small page: connected (200) or what failed (the code and its status), never cached', async () => {
      const state = await stateFor(alice, 'instagram', page);
      const externalId = simAccountId(h, 'instagram', 2);
      const { code } = page.sim.control.issueAuthCode('instagram', externalId);
      const ok = await callback('instagram', { code, state }, page);
      expect(ok.status).toBe(200);
      expect(ok.headers['content-type']).toMatch(/^text\/html/);
      expect(ok.headers['cache-control']).toBe('no-store');
      expect(ok.headers['content-security-policy']).toContain("default-src 'none'");
      expect(ok.text).toContain('Instagram account connected');
      expect(ok.text).toContain(`@${page.sim.control.getAccount('instagram', externalId).username}`);
      expect(ok.text).not.toContain(code);
      expect(ok.text).not.toContain(state);

      const replay = await callback('instagram', { code, state }, page);
      expect(replay.status).toBe(400);
      expect(replay.headers['cache-control']).toBe('no-store');
      expect(replay.text).toContain('Instagram account not connected');
      expect(replay.text).toContain('(error STATE_ALREADY_USED)');

      const denied = await callback(
        'tiktok',
        { error: 'access_denied', state: await stateFor(alice, 'tiktok', page) },
        page,
      );
      expect(denied.status).toBe(400);
      expect(denied.text).toContain('You declined on TikTok: nothing was connected. (error CONSENT_DENIED)');
    });
  });

  it('is in the OpenAPI document with its redirect and pages', async () => {
    const doc = (await h.request.get('/api/v1/openapi.json')).body;
    const operation = doc.paths['/api/v1/oauth/{platform}/callback'].get;
    expect(operation.security).toEqual([]);
    expect(operation.responses['302'].headers.Location.description).toContain('status=connected');
    expect(operation.responses['302'].headers.Location.description).toContain('CONSENT_DENIED');
    expect(Object.keys(operation.responses['4XX'].content)).toEqual(['text/html']);
    expect(operation['x-rate-limits']).toEqual(
      expect.arrayContaining([expect.stringMatching(/^connection: /)]),
    );
    expect(doc.paths['/api/v1/accounts/{platform}/connect'].post.responses['400'].description).toContain(
      'STATE_ALREADY_USED',
    );
  });
});
