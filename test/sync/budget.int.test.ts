import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pacingSettingsFromConfig, RATE_LIMIT_PAUSE_FLOOR_MS } from '../../src/sync/pacing';
import { createSyncBudget } from '../../src/sync/budget';
import { createAccountLease } from '../../src/sync/lease';
import { makeTestConfig } from '../helpers/config';
import { getIntegrationEnv } from '../helpers/integration-env';

const TIKTOK_PROFILE = 'GET /v2/user/info/';
const TIKTOK_MEDIA = 'POST /v2/video/list/';

describe('Redis call budget and account lease (real Redis)', () => {
  const env = getIntegrationEnv();
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(env.redisUrl);
  });
  afterAll(() => redis.disconnect());

  /** A fresh key space per test: budgets from different tests never share a window. */
  function budgetWith(tiktokPerMinute: number, keyPrefix = `${env.redisKeyPrefix}${randomUUID()}:`) {
    const settings = pacingSettingsFromConfig(
      makeTestConfig({ TIKTOK_REQUESTS_PER_MINUTE: String(tiktokPerMinute) }).sync,
    );
    return createSyncBudget({ redis, keyPrefix, settings });
  }

  it('grants reservations up to the per-endpoint limit, then answers with the wait until a slot frees', async () => {
    const budget = budgetWith(6);
    const account = [
      { endpoint: TIKTOK_PROFILE, calls: 1 },
      { endpoint: TIKTOK_MEDIA, calls: 2 },
    ];
    // video/list allows 6 a window and each account takes 2: three accounts, not four.
    for (let i = 0; i < 3; i++) expect(await budget.reserve('tiktok', account)).toEqual({ granted: true });
    const refused = await budget.reserve('tiktok', account);
    expect(refused).toMatchObject({ granted: false, reason: 'budget_spent' });
    if (refused.granted) throw new Error('unreachable');
    expect(refused.waitMs).toBeGreaterThan(55_000);
    expect(refused.waitMs).toBeLessThanOrEqual(62_001);
  });

  it('is all or nothing: a refused reservation takes no call from any endpoint', async () => {
    const budget = budgetWith(2);
    expect(await budget.reserve('tiktok', [{ endpoint: TIKTOK_MEDIA, calls: 2 }])).toEqual({ granted: true });
    // user/info has room, video/list has none: nothing may be taken from user/info either.
    expect(
      await budget.reserve('tiktok', [
        { endpoint: TIKTOK_PROFILE, calls: 1 },
        { endpoint: TIKTOK_MEDIA, calls: 1 },
      ]),
    ).toMatchObject({ granted: false });
    expect(await budget.reserve('tiktok', [{ endpoint: TIKTOK_PROFILE, calls: 2 }])).toEqual({
      granted: true,
    });
  });

  it('never grants more than the limit to many concurrent reservers', async () => {
    const budget = budgetWith(50);
    const decisions = await Promise.all(
      Array.from({ length: 200 }, () => budget.reserve('tiktok', [{ endpoint: TIKTOK_MEDIA, calls: 1 }])),
    );
    expect(decisions.filter((decision) => decision.granted)).toHaveLength(50);
  });

  it('leaves uncapped Instagram alone, until the platform is paused', async () => {
    const budget = budgetWith(600);
    const calls = [{ endpoint: 'GET /me', calls: 1 }];
    for (let i = 0; i < 20; i++) expect(await budget.reserve('instagram', calls)).toEqual({ granted: true });
    await budget.pausePlatform('instagram', 5_000);
    await budget.pausePlatform('instagram', 1_000); // a shorter pause never shortens a longer one
    const paused = await budget.reserve('instagram', calls);
    expect(paused).toMatchObject({ granted: false, reason: 'platform_paused' });
    if (paused.granted) throw new Error('unreachable');
    expect(paused.waitMs).toBeGreaterThan(1_000);
    expect(await budget.reserve('tiktok', [{ endpoint: TIKTOK_PROFILE, calls: 1 }])).toEqual({
      granted: true,
    });
  });

  it('a 429 pauses only its endpoint: the floor when our log explains no refusal, Retry-After when sent; never extended by a 429 inside it', async () => {
    const budget = budgetWith(600);
    expect(await budget.reserve('tiktok', [{ endpoint: TIKTOK_MEDIA, calls: 10 }])).toEqual({
      granted: true,
    });
    // 10 calls logged against 600 allowed: our own calls explain no refusal, so only the floor is waited.
    const floor = await budget.pauseEndpointAfterRateLimit('tiktok', TIKTOK_MEDIA, null);
    expect(floor).toBeGreaterThan(RATE_LIMIT_PAUSE_FLOOR_MS - 50);
    expect(floor).toBeLessThanOrEqual(RATE_LIMIT_PAUSE_FLOOR_MS);
    const paused = await budget.reserve('tiktok', [{ endpoint: TIKTOK_MEDIA, calls: 1 }]);
    expect(paused).toMatchObject({ granted: false, reason: 'endpoint_paused' });
    expect(await budget.reserve('tiktok', [{ endpoint: TIKTOK_PROFILE, calls: 1 }])).toEqual({
      granted: true,
    });

    // The platform's Retry-After wins over our estimate, and a later 429 without one leaves it as it is.
    const retryAfter = await budget.pauseEndpointAfterRateLimit('tiktok', TIKTOK_PROFILE, 30_000);
    expect(retryAfter).toBe(30_000);
    const inside = await budget.pauseEndpointAfterRateLimit('tiktok', TIKTOK_PROFILE, null);
    expect(inside).toBeLessThanOrEqual(30_000);
    expect(inside).toBeGreaterThan(29_000);
    const refused = await budget.reserve('tiktok', [{ endpoint: TIKTOK_PROFILE, calls: 1 }]);
    expect(refused).toMatchObject({ granted: false, reason: 'endpoint_paused' });
  });

  it('a 429 inside a running pause leaves it as it is, even one that our log would now explain with a longer wait', async () => {
    const keyPrefix = `${env.redisKeyPrefix}${randomUUID()}:`;
    const roomy = budgetWith(600, keyPrefix);
    expect(await roomy.reserve('tiktok', [{ endpoint: TIKTOK_MEDIA, calls: 10 }])).toEqual({ granted: true });
    // 10 of 600: the floor.
    const floor = await roomy.pauseEndpointAfterRateLimit('tiktok', TIKTOK_MEDIA, null);
    expect(floor).toBeLessThanOrEqual(RATE_LIMIT_PAUSE_FLOOR_MS);
    // The same keys read with a limit of 4: the 10 logged calls would now explain a wait of a whole window
    // (until the filling call leaves it), but the pause already running is the one kept.
    const strict = budgetWith(4, keyPrefix);
    const inside = await strict.pauseEndpointAfterRateLimit('tiktok', TIKTOK_MEDIA, null);
    expect(inside).toBeLessThanOrEqual(floor);
  });

  it('a 429 with our log at the limit waits for the call that fills the window, at most one window', async () => {
    const budget = budgetWith(4);
    expect(await budget.reserve('tiktok', [{ endpoint: TIKTOK_MEDIA, calls: 4 }])).toEqual({ granted: true });
    const wait = await budget.pauseEndpointAfterRateLimit('tiktok', TIKTOK_MEDIA, null);
    // The four calls were charged a moment ago: they leave our 62 s window in almost all of it.
    expect(wait).toBeGreaterThan(61_000);
    expect(wait).toBeLessThanOrEqual(62_000);
  });

  it('pauses one account without pausing its platform', async () => {
    const budget = budgetWith(600);
    const calls = [{ endpoint: TIKTOK_PROFILE, calls: 1 }];
    await budget.pauseAccount('tiktok', 'account-a', 5_000);
    expect(await budget.reserve('tiktok', calls, 'account-a')).toMatchObject({
      granted: false,
      reason: 'account_paused',
    });
    expect(await budget.reserve('tiktok', calls, 'account-b')).toEqual({ granted: true });
  });

  it('lets one owner hold an account lease at a time; the same owner (a retry) takes it back', async () => {
    const lease = createAccountLease({ redis, keyPrefix: `${env.redisKeyPrefix}${randomUUID()}:` });
    const accountId = randomUUID();
    expect(await lease.acquire(accountId, 'fleet/1', 10_000)).toBe(true);
    expect(await lease.acquire(accountId, 'sync-account-x/1', 10_000)).toBe(false);
    expect(await lease.acquire(accountId, 'fleet/1', 10_000)).toBe(true);
    await lease.release(accountId, 'sync-account-x/1'); // not the owner: no effect
    expect(await lease.acquire(accountId, 'sync-account-x/1', 10_000)).toBe(false);
    await lease.release(accountId, 'fleet/1');
    expect(await lease.acquire(accountId, 'sync-account-x/1', 10_000)).toBe(true);
  });

  it('frees a lease whose holder died once its TTL passes', async () => {
    const lease = createAccountLease({ redis, keyPrefix: `${env.redisKeyPrefix}${randomUUID()}:` });
    const accountId = randomUUID();
    expect(await lease.acquire(accountId, 'crashed/1', 200)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await lease.acquire(accountId, 'next/1', 10_000)).toBe(true);
  });
});
