import { ConfigError, loadConfig } from '../../src/config';
import { TEST_ENV } from '../helpers/config';

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(TEST_ENV);
    expect(config.temporal).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'socialsync',
    });
    expect(config.http.port).toBe(3000);
    // Nothing listens beyond loopback unless a deployment says so (docker-compose opens both in containers).
    expect(config.http.host).toBe('127.0.0.1');
    expect(config.worker).toMatchObject({ metricsPort: 9464, metricsHost: '127.0.0.1' });
    expect(config.instagram.graphUrl).toBe('https://graph.instagram.com');
    expect(config.instagram.oauthUrl).toBe('https://api.instagram.com');
    expect(config.tiktok.apiUrl).toBe('https://open.tiktokapis.com');
    expect(config.schedules).toMatchObject({
      timezone: 'UTC',
      tokenRefreshCron: '0 2 * * *',
      dataSyncCron: '0 3 * * *',
    });
    expect(config.refresh.windowDays).toBe(7);
    expect(config.sync).toMatchObject({ minAgeHours: 12, postsLimit: 25, tiktokRequestsPerMinute: 600 });
    expect(config.rateLimits.auth).toEqual({ max: 5, windowSeconds: 900 });
    expect(config.rateLimits.connection).toEqual({ max: 50, windowSeconds: 86400 });
  });

  it('returns a frozen object', () => {
    const config = loadConfig(TEST_ENV);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.temporal)).toBe(true);
  });

  it('names every missing required variable at once', () => {
    const problems = problemsOf({});
    for (const variable of [
      'ENCRYPTION_KEY',
      'JWT_SECRET',
      'CRON_JOB_SECRET',
      'INSTAGRAM_APP_ID',
      'INSTAGRAM_APP_SECRET',
      'INSTAGRAM_REDIRECT_URI',
      'TIKTOK_CLIENT_KEY',
      'TIKTOK_CLIENT_SECRET',
      'TIKTOK_REDIRECT_URI',
    ]) {
      expect(problems).toContainEqual(`${variable}: is required`);
    }
  });

  it('names each wrong value with the reason', () => {
    const problems = problemsOf({
      ...TEST_ENV,
      ENCRYPTION_KEY: 'too-short',
      PORT: 'eighty',
      SCHEDULE_TIMEZONE: 'Mars/Olympus',
      TOKEN_REFRESH_CRON: 'every day',
      RATE_LIMIT_AUTH: 'five',
      DATABASE_URL: 'not a url',
    });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(
      [
        'DATABASE_URL',
        'ENCRYPTION_KEY',
        'PORT',
        'RATE_LIMIT_AUTH',
        'SCHEDULE_TIMEZONE',
        'TOKEN_REFRESH_CRON',
      ].sort(),
    );
    expect(problems.find((problem) => problem.startsWith('ENCRYPTION_KEY'))).toMatch(/64 hex/);
  });

  it('takes an http(s) CONNECT_RETURN_URL only, and none at all by default', () => {
    expect(loadConfig(TEST_ENV).http.connectReturnUrl).toBeUndefined();
    const returnUrl = 'https://app.example.com/connections?tab=social';
    expect(loadConfig({ ...TEST_ENV, CONNECT_RETURN_URL: returnUrl }).http.connectReturnUrl).toBe(returnUrl);
    expect(problemsOf({ ...TEST_ENV, CONNECT_RETURN_URL: 'javascript:alert(1)' })).toEqual([
      'CONNECT_RETURN_URL: must be an http(s) URL',
    ]);
  });

  it('validates previous encryption keys for rotation', () => {
    expect(
      loadConfig({ ...TEST_ENV, ENCRYPTION_PREVIOUS_KEYS: `${'b'.repeat(64)}, ${'c'.repeat(64)}` }).encryption
        .previousKeys,
    ).toEqual(['b'.repeat(64), 'c'.repeat(64)]);
    expect(problemsOf({ ...TEST_ENV, ENCRYPTION_PREVIOUS_KEYS: 'nope' })[0]).toMatch(
      /^ENCRYPTION_PREVIOUS_KEYS/,
    );
  });

  it('flags the unsafe ENCRYPTION_IV of older deployments as ignored', () => {
    expect(loadConfig(TEST_ENV).ignoredEncryptionIv).toBe(false);
    expect(
      loadConfig({ ...TEST_ENV, ENCRYPTION_IV: '00112233445566778899aabbccddeeff' }).ignoredEncryptionIv,
    ).toBe(true);
  });

  it('selects data event kinds: all by default, a list, or none; an unknown kind is named', () => {
    expect(loadConfig(TEST_ENV).webhooks).toEqual({
      events: ['account.synced', 'account.reauth_required', 'account.disconnected', 'fleet.stale_accounts'],
      concurrency: 10,
    });
    expect(loadConfig(TEST_ENV).freshness).toEqual({ staleAfterHours: 36 });
    const listed = loadConfig({ ...TEST_ENV, WEBHOOK_EVENTS: ' account.synced , fleet.stale_accounts' });
    expect(listed.webhooks.events).toEqual(['account.synced', 'fleet.stale_accounts']);
    expect(loadConfig({ ...TEST_ENV, WEBHOOK_EVENTS: 'none' }).webhooks.events).toEqual([]);
    expect(problemsOf({ ...TEST_ENV, WEBHOOK_EVENTS: 'account.synced,account.deleted' })).toEqual([
      expect.stringMatching(/^WEBHOOK_EVENTS: unknown event kind account\.deleted/),
    ]);
    expect(
      problemsOf({ ...TEST_ENV, WEBHOOK_CONCURRENCY: '0', STALE_AFTER_HOURS: '-1' }).map(
        (p) => p.split(':')[0],
      ),
    ).toEqual(['WEBHOOK_CONCURRENCY', 'STALE_AFTER_HOURS']);
  });

  it('parses rate-limit policies', () => {
    expect(loadConfig({ ...TEST_ENV, RATE_LIMIT_SOCIAL: '20/1h' }).rateLimits.social).toEqual({
      max: 20,
      windowSeconds: 3600,
    });
  });
});
