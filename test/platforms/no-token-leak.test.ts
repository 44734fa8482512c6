import { createInstagramClient, createTikTokClient } from '../../src/platforms';
import type { FetchLike } from '../../src/platforms/http';
import { LogCapture, expectPlatformError, startHarness, type Harness } from './support';

/**
 * Runs both clients through every failure mode with a fetch that records every secret on the wire (tokens,
 * codes, client secrets), then checks that none of them appears in any log line, error message or error JSON.
 */
describe('no token in logs or errors', () => {
  const secrets = new Set<string>();
  const recordingFetch: FetchLike = async (input, init) => {
    const url = new URL(input);
    for (const key of ['access_token', 'client_secret']) addSecret(url.searchParams.get(key));
    addSecret(
      String((init.headers as Record<string, string> | undefined)?.authorization ?? '').replace(
        /^Bearer /,
        '',
      ),
    );
    if (typeof init.body === 'string') {
      const form = new URLSearchParams(init.body);
      for (const key of ['code', 'client_secret', 'refresh_token']) addSecret(form.get(key));
    }
    const response = await fetch(input, init);
    const text = await response.text();
    for (const match of text.matchAll(/"(access_token|refresh_token)":"([^"]+)"/g)) addSecret(match[2]);
    return new Response(text, { status: response.status, headers: response.headers });
  };
  function addSecret(value: string | null | undefined) {
    if (value && value.length >= 8) secrets.add(value);
  }

  let h: Harness;
  const outputs: string[] = [];
  /** Each captured call must fail with a PlatformError: a call that succeeds would check nothing. */
  async function capture(call: () => Promise<unknown>) {
    const error = await expectPlatformError(call());
    outputs.push(error.message, JSON.stringify(error), JSON.stringify(error.toJSON()), String(error.stack));
  }

  beforeAll(async () => {
    h = await startHarness({ accountsPerPlatform: 6 }, 300, recordingFetch);
  });
  afterAll(() => h.sim.stop());

  it('holds for every Instagram path', async () => {
    const { control } = h.sim;
    const ig = control.listAccounts('instagram')[0].externalId;
    const { code } = control.issueAuthCode('instagram', ig);
    const exchanged = await h.instagram.exchangeCode(`${code}#_`);
    await capture(() => h.instagram.exchangeCode(code)); // reused code
    // The platform refuses as too young: logged as a failed call, answered as too_young.
    await expect(
      h.instagram.refreshToken({ ...exchanged.value, obtainedAt: new Date(0) }),
    ).resolves.toMatchObject({ value: { kind: 'too_young' } });
    control.advanceClock(25 * 3_600_000);
    const refreshed = await h.instagram.refreshToken(exchanged.value);
    const token = refreshed.value.kind === 'refreshed' ? refreshed.value.tokens.accessToken : '';
    control.configure({ instagram: { maxPageLimit: 5 } });
    control.failNextCalls('instagram', ig, 1, { endpoints: ['instagram.media'] });
    await capture(() => h.instagram.listRecentMedia(token, 25)); // fails on the first page
    for (const failure of ['transient', 'http_error', 'malformed', 'timeout', 'rate_limited'] as const) {
      control.failNextCalls('instagram', ig, 1, { failure });
      await capture(() => h.instagram.getProfile(token));
    }
    await h.instagram.listRecentMedia(token, 25); // pages through next URLs that carry the token
    control.setQuotas({ instagram: { impressionsPerAccount: 1 / 4800 } });
    await capture(() => h.instagram.getProfile(token));
    control.resetQuotaWindows();
    control.setQuotas({ instagram: { impressionsPerAccount: 1000 } });
    for (const reason of ['password_changed', 'expired']) {
      const fresh = control.issueTokens('instagram', control.listAccounts('instagram')[1].externalId);
      addSecret(fresh.accessToken);
      control.invalidateTokens('instagram', fresh.externalId, reason);
      await capture(() => h.instagram.getProfile(fresh.accessToken));
      await capture(() => h.instagram.refreshToken({ ...fresh, obtainedAt: new Date(0) }));
    }
    const offline = createInstagramClient(
      { ...h.config, instagram: { ...h.config.instagram, graphUrl: 'http://127.0.0.1:9' } },
      { logger: h.logs.logger },
    );
    await capture(() => offline.getProfile(token));
    expect(outputs.length).toBeGreaterThan(20);
  });

  it('holds for every TikTok path', async () => {
    const { control } = h.sim;
    const tt = control.listAccounts('tiktok')[0].externalId;
    const { code } = control.issueAuthCode('tiktok', tt);
    const exchanged = await h.tiktok.exchangeCode(code);
    await capture(() => h.tiktok.exchangeCode(code)); // reused code
    const refreshed = await h.tiktok.refreshToken(exchanged.value);
    await capture(() => h.tiktok.refreshToken(exchanged.value)); // rotated: invalid_grant
    const token = refreshed.value.kind === 'refreshed' ? refreshed.value.tokens.accessToken : '';
    for (const failure of ['transient', 'http_error', 'malformed', 'timeout', 'rate_limited'] as const) {
      control.failNextCalls('tiktok', tt, 1, { failure });
      await capture(() => h.tiktok.listRecentMedia(token, 25));
    }
    control.configure({ tiktok: { errorsWithHttp200: true } });
    const limited = control.issueTokens('tiktok', tt, { scopes: ['user.info.basic'] });
    addSecret(limited.accessToken);
    await capture(() => h.tiktok.getProfile(limited.accessToken));
    control.invalidateTokens('tiktok', tt, 'revoked');
    await capture(() => h.tiktok.getProfile(token));
    await capture(() =>
      h.tiktok.refreshToken(refreshed.value.kind === 'refreshed' ? refreshed.value.tokens : exchanged.value),
    );
    expect(outputs.length).toBeGreaterThan(30);
  });

  it('holds even when a platform echoes the token in its error message', async () => {
    const logs = new LogCapture();
    const token = 'IGAAechoedTokenValue1234567890';
    const refresh = 'rft.echoedRefreshValue1234567890';
    const echo: FetchLike = async () =>
      new Response(
        JSON.stringify({
          error: { code: 190, message: `Invalid token ${token} (see ?access_token=${token})` },
        }),
        { status: 400 },
      );
    const echoTikTok: FetchLike = async () =>
      new Response(
        JSON.stringify({ error: 'invalid_grant', error_description: `refresh_token ${refresh} is dead` }),
        { status: 400 },
      );
    secrets.add(token).add(refresh);
    const before = outputs.length;
    await capture(() =>
      createInstagramClient(h.config, { fetch: echo, logger: logs.logger }).getProfile(token),
    );
    await capture(() =>
      createTikTokClient(h.config, { fetch: echoTikTok, logger: logs.logger }).refreshToken({
        accessToken: 'act.x',
        refreshToken: refresh,
        obtainedAt: new Date(),
      }),
    );
    expect(outputs.length - before).toBe(8);
    h.logs.lines.push(...logs.lines);
  });

  it('finds none of the recorded secrets in any log line, error message or error JSON', () => {
    const logText = h.logs.lines.join('\n');
    expect(h.logs.lines.some((line) => line.includes('platform call failed'))).toBe(true);
    expect(secrets.size).toBeGreaterThan(10);
    const everything = `${logText}\n${outputs.join('\n')}`;
    const leaked = [...secrets].filter((secret) => everything.includes(secret));
    expect(leaked).toEqual([]);
  });
});
