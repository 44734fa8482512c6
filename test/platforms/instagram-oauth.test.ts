import { startHarness, expectPlatformError, type Harness } from './support';

describe('Instagram code exchange against the simulator', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.sim.stop());

  const firstAccount = () => h.sim.control.listAccounts('instagram')[0].externalId;

  it('accepts the wrapped {data:[...]} answer and ends with a long-lived token and the /me id', async () => {
    h.sim.control.configure({ instagram: { exchangeShape: 'wrapped' } });
    const externalId = firstAccount();
    const { code } = h.sim.control.issueAuthCode('instagram', externalId);
    const before = h.sim.control.now().getTime();

    const { value } = await h.instagram.exchangeCode(code);

    expect(value.externalId).toBe(externalId);
    expect(value.refreshToken).toBeNull();
    expect(value.scopes).toEqual(['instagram_business_basic', 'instagram_business_manage_insights']);
    expect(value.accessExpiresAt.getTime() - value.obtainedAt.getTime()).toBe(5_183_944_000);
    expect(value.obtainedAt.getTime()).toBeGreaterThanOrEqual(before);
    // The long-lived token works for data calls.
    await expect(h.instagram.getProfile(value.accessToken)).resolves.toMatchObject({ value: { externalId } });
  });

  it('accepts the flat answer and reads a user_id above 2^53 exactly (JSON.parse would round it)', async () => {
    h.sim.control.configure({ instagram: { exchangeShape: 'flat' } });
    const externalId = h.sim.control.listAccounts('instagram')[7].externalId;
    expect(externalId).toBe('17841400000000007');
    expect(String(JSON.parse(externalId))).not.toBe(externalId);
    const { code } = h.sim.control.issueAuthCode('instagram', externalId);

    const { value } = await h.instagram.exchangeCodeForShortLivedToken(code);

    expect(value.userId).toBe('17841400000000007');
  });

  it('completes the whole flow from the flat answer too', async () => {
    h.sim.control.configure({ instagram: { exchangeShape: 'flat' } });
    const externalId = firstAccount();
    const { code } = h.sim.control.issueAuthCode('instagram', externalId);
    await expect(h.instagram.exchangeCode(code)).resolves.toMatchObject({ value: { externalId } });
  });

  it('strips the trailing #_ that the redirect appends (the simulator rejects a code that still has it)', async () => {
    const externalId = firstAccount();
    const raw = h.sim.control.issueAuthCode('instagram', externalId);
    expect(raw.callbackUrl.endsWith('#_')).toBe(true);
    const rejected = await postCode(h, `${raw.code}#_`);
    expect(rejected.status).toBe(400);
    expect(rejected.body).toMatchObject({
      error_type: 'OAuthException',
      error_message: expect.stringMatching(/Matching code/),
    });

    const { code } = h.sim.control.issueAuthCode('instagram', externalId);
    await expect(h.instagram.exchangeCode(`${code}#_`)).resolves.toMatchObject({ value: { externalId } });
  });

  it('reports a reused code as invalid_request (single use)', async () => {
    const { code } = h.sim.control.issueAuthCode('instagram', firstAccount());
    await h.instagram.exchangeCode(code);
    const error = await expectPlatformError(h.instagram.exchangeCode(code));
    expect(error).toMatchObject({ kind: 'invalid_request', code: 'IG_400', httpStatus: 400 });
  });

  it('reports a code issued for another redirect_uri as invalid_request', async () => {
    const { code } = h.sim.control.issueAuthCode('instagram', firstAccount(), {
      redirectUri: 'https://elsewhere.test/cb',
    });
    const error = await expectPlatformError(h.instagram.exchangeCode(code));
    expect(error.kind).toBe('invalid_request');
    expect(error.message).toMatch(/redirect_uri/);
  });

  it('computes the expiry from expires_in, never from a hard-coded 60 days', async () => {
    h.sim.control.configure({ instagram: { longLivedExpiresInSeconds: 5_127_758 } });
    const { code } = h.sim.control.issueAuthCode('instagram', firstAccount());
    const { value } = await h.instagram.exchangeCode(code);
    expect(value.accessExpiresAt.getTime() - value.obtainedAt.getTime()).toBe(5_127_758_000);
  });

  it('builds the dialog URL from configuration', () => {
    const url = new URL(h.instagram.authorizeUrl('csrf-123'));
    expect(url.origin + url.pathname).toBe(h.config.instagram.authorizeUrl);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: h.config.instagram.appId,
      redirect_uri: h.config.instagram.redirectUri,
      response_type: 'code',
      state: 'csrf-123',
    });
  });
});

async function postCode(h: Harness, code: string) {
  const { appId, appSecret, redirectUri, oauthUrl } = h.config.instagram;
  const response = await fetch(`${oauthUrl}/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: appId,
      client_secret: appSecret,
      grant_type: 'authorization_code',
      redirect_uri: redirectUri,
      code,
    }),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}
