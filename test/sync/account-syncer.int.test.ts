import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { toActivityFailure } from '../../activities/to-failure';
import { PlatformError } from '../../src/platforms/errors';
import { syncAccountOnce, type AccountSyncDeps, type SyncRun } from '../../src/sync/account-syncer';
import type { User } from '../../src/db/entities';
import { createWorkerMetrics } from '../../src/metrics/worker-metrics';
import { SYNC_ENDPOINTS, type PacingSettings } from '../../src/sync/pacing';
import { createSyncBudget, type SyncBudget } from '../../src/sync/budget';
import { createPlatformClients } from '../../src/platforms';
import { createAccountLease } from '../../src/sync/lease';
import { createProfileStash } from '../../src/sync/profile-stash';
import { insertUser, seedConnectedAccount, type ConnectedAccount } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { startWorkerStack, type WorkerStack } from '../helpers/stack';

jest.setTimeout(60_000);

/** Our budgets count in 2 s windows here (plus the 2 s margin): a test can wait one out. */
const WINDOW_MS = 2_000;
const TIKTOK_MEDIA = SYNC_ENDPOINTS.tiktok.media;

/**
 * The account syncer (the code inside the syncAccount activities, Temporal-free) against the simulator,
 * PostgreSQL and Redis: what it charges to the shared budget before each call, what it records, how long a
 * refusal makes it wait, and what it does not call again.
 */
describe('account syncer: budgets, pauses and usage (simulator, PostgreSQL, Redis)', () => {
  let db: TestDatabase;
  let stack: WorkerStack;
  let owner: User;
  const runOf = (accountId: string): SyncRun => ({
    owner: `test/${accountId}`,
    workflowId: 'test',
    heartbeat: () => undefined,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    stack = await startWorkerStack({ db, tiktokQuota: { perWindow: 3, windowMs: 10_000 } });
    owner = await insertUser(db.orm);
  });

  beforeEach(() => {
    // The simulator's quotas are wide open unless a test narrows them; each test has budgets of its own.
    const control = stack.simulator.control;
    control.clearFaults();
    control.configure({ tiktok: { shortPageShortfall: 0 }, instagram: { shortPageShortfall: 0 } });
    control.setQuotas({
      tiktok: { requestsPerWindow: 10_000 },
      instagram: { dailyActiveUsers: 1_000_000, usageHeaders: 'both' },
    });
    control.resetQuotaWindows();
  });

  afterAll(async () => {
    await stack?.close();
    await db?.drop();
  });

  interface TestSyncer {
    deps: AccountSyncDeps;
    budget: SyncBudget;
    run(accountId: string): ReturnType<typeof syncAccountOnce>;
    /** Calls an endpoint's window log holds right now: what was charged to it. */
    charged(platform: 'tiktok' | 'instagram', endpoint: string): Promise<number>;
  }

  /** A syncer over budgets of its own: `perWindow` calls per endpoint per WINDOW_MS (0: uncapped). */
  function syncerWith(perWindow: { tiktok: number; instagram?: number }): TestSyncer {
    const keyPrefix = `${stack.config.redis.keyPrefix}${randomUUID()}:`;
    const pacing: PacingSettings = {
      postsLimit: 25,
      requestsPerWindow: { tiktok: perWindow.tiktok, instagram: perWindow.instagram ?? 0 },
      platformWindowMs: WINDOW_MS,
    };
    const budget = createSyncBudget({ redis: stack.redis, keyPrefix, settings: pacing });
    const deps: AccountSyncDeps = {
      db: db.orm.em.getKnex(),
      logger: pino({ level: 'silent' }),
      cipher: stack.cipher,
      platforms: createPlatformClients(stack.config),
      metrics: createWorkerMetrics(),
      now: () => new Date(),
      jitMarginMinutes: stack.config.refresh.jitMarginMinutes,
      instagramUsageSlowdownPercent: stack.config.sync.instagramUsageSlowdownPercent,
      pacing,
      budget,
      lease: createAccountLease({ redis: stack.redis, keyPrefix }),
      profiles: createProfileStash({ redis: stack.redis, keyPrefix }),
    };
    const slug = (endpoint: string) =>
      endpoint
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '');
    return {
      deps,
      budget,
      run: (accountId) => syncAccountOnce(deps, { accountId }, runOf(accountId)),
      charged: (platform, endpoint) => stack.redis.zcard(`${keyPrefix}pacing:${platform}:${slug(endpoint)}`),
    };
  }

  const callsOf = (
    connected: ConnectedAccount,
    endpoint: Parameters<WorkerStack['simulator']['control']['endpointStats']>[0],
  ) => stack.simulator.control.accountStats(connected.platform, connected.externalId)[endpoint]?.total ?? 0;

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('charges exactly the video/list calls an account needs: 1 for 12 videos, 2 for 40; a third waits', async () => {
    stack.simulator.control.setQuotas({ tiktok: { requestsPerWindow: 3 } });
    const syncer = syncerWith({ tiktok: 3 });
    const few = await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 12 });
    const many = await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 40 });
    const third = await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 40 });
    expect(await syncer.run(few.account.id)).toMatchObject({
      kind: 'synced',
      calls: { profile: 1, media: 1 },
    });
    expect(await syncer.run(many.account.id)).toMatchObject({
      kind: 'synced',
      calls: { profile: 1, media: 2 },
    });
    // video/list: 1 + 2 = 3 charged and made, the whole window's budget; the third account's profile fits,
    // its videos do not: it comes back to wait (the fleet waits on a timer), and nothing exceeded the quota.
    expect(await syncer.run(third.account.id)).toMatchObject({
      kind: 'rate_limited',
      platform: 'tiktok',
      scope: 'platform',
      reason: 'budget_spent',
      calls: { profile: 1, media: 0 },
    });
    expect(stack.simulator.control.endpointStats('tiktok.video_list')).toMatchObject({ throttled: 0 });
    expect(callsOf(third, 'tiktok.video_list')).toBe(0);
    expect(await syncer.charged('tiktok', TIKTOK_MEDIA)).toBe(3);
  });

  it('TikTok short pages: full pages asked, every page beyond the two reserved charged first; cost = charged = made', async () => {
    // Pages of 5 while more videos remain (max_count 20 minus 15), has_more true.
    stack.simulator.control.configure({ tiktok: { shortPageShortfall: 15 } });
    const syncer = syncerWith({ tiktok: 100 });
    const account = await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 60 });
    const result = await syncer.run(account.account.id);
    expect(result).toMatchObject({ kind: 'synced', postsSynced: 25, calls: { profile: 1 } });
    if (result.kind !== 'synced') throw new Error('unreachable');
    const made = callsOf(account, 'tiktok.video_list');
    expect(made).toBe(5);
    expect(result.calls.media).toBe(made);
    expect(await syncer.charged('tiktok', TIKTOK_MEDIA)).toBe(made);
    expect(await syncer.charged('tiktok', SYNC_ENDPOINTS.tiktok.profile)).toBe(1);
  });

  it('Instagram short pages: one page of 25 reserved, each further page charged first; cost = charged = made', async () => {
    // Pages of 5 while more media remain (limit 25 minus 20), `next` still set.
    stack.simulator.control.configure({ instagram: { shortPageShortfall: 20 } });
    const syncer = syncerWith({ tiktok: 100, instagram: 100 });
    const account = await seedConnectedAccount(stack, owner, 'instagram', { postCount: 60 });
    const result = await syncer.run(account.account.id);
    expect(result).toMatchObject({ kind: 'synced', postsSynced: 25, calls: { profile: 1, media: 5 } });
    expect(callsOf(account, 'instagram.media')).toBe(5);
    expect(await syncer.charged('instagram', SYNC_ENDPOINTS.instagram.media)).toBe(5);
  });

  it('a page beyond the reservation with no budget left stops and waits; the retry resumes without the profile call', async () => {
    stack.simulator.control.configure({ tiktok: { shortPageShortfall: 15 } });
    // 5 video/list calls a window; one already charged by another account: 4 left for this one.
    const syncer = syncerWith({ tiktok: 5 });
    const other = await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 3 });
    expect(await syncer.run(other.account.id)).toMatchObject({ kind: 'synced', calls: { media: 1 } });
    const account = await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 60 });
    const refused = await syncer.run(account.account.id);
    expect(refused).toMatchObject({
      kind: 'rate_limited',
      scope: 'platform',
      reason: 'budget_spent',
      calls: { profile: 1, media: 4 },
    });
    expect(callsOf(account, 'tiktok.video_list')).toBe(4);
    expect(await syncer.charged('tiktok', TIKTOK_MEDIA)).toBe(5);
    // Waits as the workflow would, until the budget has room for the whole listing again.
    const results = [refused];
    while (results.at(-1)!.kind === 'rate_limited' && results.length < 10) {
      const last = results.at(-1)!;
      if (last.kind !== 'rate_limited') break;
      expect(last.waitMs).toBeLessThanOrEqual(WINDOW_MS + 2_001);
      await sleep(last.waitMs);
      results.push(await syncer.run(account.account.id));
    }
    expect(results.at(-1)).toMatchObject({
      kind: 'synced',
      postsSynced: 25,
      calls: { profile: 0, media: 5 },
    });
    // One profile call in all, and every call made was charged and is counted in the attempts' costs.
    expect(callsOf(account, 'tiktok.user_info')).toBe(1);
    const counted = results.reduce((sum, result) => sum + ('calls' in result ? result.calls.media : 0), 0);
    expect(callsOf(account, 'tiktok.video_list')).toBe(counted);
    expect(results.slice(1).every((result) => 'calls' in result && result.calls.profile === 0)).toBe(true);
  });

  it("a sync's first attempt does not read the profile stash (none of its own can exist yet); a later one resumes from it", async () => {
    const syncer = syncerWith({ tiktok: 100 });
    const account = await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 3 });
    const stashed = {
      ...(await stack.platforms.tiktok.getProfile(account.accessToken)).value,
      followers: 4242,
    };
    await syncer.deps.profiles.save(account.account.id, stashed);
    const before = callsOf(account, 'tiktok.user_info');
    const first = await syncAccountOnce(
      syncer.deps,
      { accountId: account.account.id },
      {
        ...runOf(account.account.id),
        firstAttempt: true,
      },
    );
    expect(first).toMatchObject({ kind: 'synced', calls: { profile: 1 } });
    expect(first).not.toMatchObject({ followers: 4242 });
    expect(callsOf(account, 'tiktok.user_info')).toBe(before + 1);

    await syncer.deps.profiles.save(account.account.id, stashed);
    const later = await syncer.run(account.account.id);
    expect(later).toMatchObject({ kind: 'synced', followers: 4242, calls: { profile: 0 } });
    expect(callsOf(account, 'tiktok.user_info')).toBe(before + 1);
  });

  it('a 429 with our log at the limit pauses video/list alone until the call filling the window leaves; no profile call again', async () => {
    const syncer = syncerWith({ tiktok: 3 });
    const account = await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 12 });
    // Two video/list calls charged a moment ago; the account's own call makes three, the limit, and TikTok
    // (here: an injected 429 without Retry-After) refuses it.
    expect(await syncer.budget.reserve('tiktok', [{ endpoint: TIKTOK_MEDIA, calls: 2 }])).toEqual({
      granted: true,
    });
    const filledAt = Date.now();
    stack.simulator.control.failNextCalls('tiktok', account.externalId, 1, {
      failure: 'rate_limited',
      endpoints: ['tiktok.video_list'],
    });
    const refused = await syncer.run(account.account.id);
    const windowMs = WINDOW_MS + 2_000;
    expect(refused).toMatchObject({
      kind: 'rate_limited',
      platform: 'tiktok',
      scope: 'endpoint',
      reason: 'platform_rate_limited',
      calls: { profile: 1, media: 1 },
    });
    if (refused.kind !== 'rate_limited') throw new Error('unreachable');
    // The window's remainder from the oldest of the three calls: not a fixed minute, not the floor.
    expect(refused.waitMs).toBeGreaterThan(windowMs - (Date.now() - filledAt) - 200);
    expect(refused.waitMs).toBeLessThanOrEqual(windowMs + 1);
    // Only video/list is paused; user/info takes calls.
    expect(
      await syncer.budget.reserve('tiktok', [{ endpoint: SYNC_ENDPOINTS.tiktok.profile, calls: 1 }]),
    ).toEqual({
      granted: true,
    });
    const media = await syncer.budget.reserve('tiktok', [{ endpoint: TIKTOK_MEDIA, calls: 1 }]);
    expect(media).toMatchObject({ granted: false, reason: 'endpoint_paused' });
    // A second 429 inside the pause (a call that was already in flight) does not extend it.
    const again = await syncer.budget.pauseEndpointAfterRateLimit('tiktok', TIKTOK_MEDIA, null);
    expect(again).toBeLessThanOrEqual(refused.waitMs);
    await sleep(refused.waitMs);
    expect(await syncer.run(account.account.id)).toMatchObject({
      kind: 'synced',
      calls: { profile: 0, media: 1 },
    });
    expect(callsOf(account, 'tiktok.user_info')).toBe(1);
  });

  it('Instagram code 17 pauses that account only; code 4 pauses every Instagram sync', async () => {
    const syncer = syncerWith({ tiktok: 100 });
    const [throttled, neighbour, appWide] = [
      await seedConnectedAccount(stack, owner, 'instagram', { postCount: 5 }),
      await seedConnectedAccount(stack, owner, 'instagram', { postCount: 5 }),
      await seedConnectedAccount(stack, owner, 'instagram', { postCount: 5 }),
    ];
    stack.simulator.control.failNextCalls('instagram', throttled.externalId, 1, {
      failure: 'rate_limited',
      instagramCode: 17,
      retryAfterSeconds: 30,
      endpoints: ['instagram.media'],
    });
    const refused = await syncer.run(throttled.account.id);
    expect(refused).toMatchObject({
      kind: 'rate_limited',
      scope: 'account',
      waitMs: 30_000,
      calls: { profile: 1, media: 1 },
    });
    // Its neighbour syncs; the throttled account's next attempt is held before any call.
    expect(await syncer.run(neighbour.account.id)).toMatchObject({ kind: 'synced' });
    expect(await syncer.run(throttled.account.id)).toMatchObject({
      kind: 'rate_limited',
      scope: 'account',
      reason: 'account_paused',
      calls: { profile: 0, media: 0 },
    });
    expect(callsOf(throttled, 'instagram.media')).toBe(1);
    expect(callsOf(throttled, 'instagram.me')).toBe(1);

    stack.simulator.control.failNextCalls('instagram', appWide.externalId, 1, {
      failure: 'rate_limited',
      instagramCode: 4,
      endpoints: ['instagram.me'],
    });
    expect(await syncer.run(appWide.account.id)).toMatchObject({ kind: 'rate_limited', scope: 'platform' });
    expect(await syncer.run(neighbour.account.id)).toMatchObject({
      kind: 'rate_limited',
      reason: 'platform_paused',
    });
  });

  it('stops calling Instagram once its app usage passes 90 %, before the platform has to refuse', async () => {
    // An app budget of 200 x 0.1 = 20 calls an hour, reported in X-App-Usage only.
    stack.simulator.control.setQuotas({ instagram: { dailyActiveUsers: 0.1, usageHeaders: 'app' } });
    const syncer = syncerWith({ tiktok: 100 });
    const accounts = [];
    for (let i = 0; i < 12; i++)
      accounts.push(await seedConnectedAccount(stack, owner, 'instagram', { postCount: 5 }));
    const me = stack.simulator.control.endpointStats('instagram.me');
    const outcomes = [];
    for (const account of accounts) outcomes.push(await syncer.run(account.account.id));
    const synced = outcomes.filter((outcome) => outcome.kind === 'synced');
    // 2 calls an account against 20 an hour: usage reaches 90 % at the 9th account, and the platform pauses.
    expect(synced.length).toBe(9);
    expect(synced.at(-1)).toMatchObject({ usagePercent: 90 });
    expect(outcomes[9]).toMatchObject({
      kind: 'rate_limited',
      platform: 'instagram',
      reason: 'platform_paused',
    });
    const after = stack.simulator.control.endpointStats('instagram.me');
    expect(after.throttled - me.throttled).toBe(0);
    expect(after.total - me.total).toBe(9);
  });

  it('counts an attempt that fails as outcome="failed" with its code, and throws it for Temporal to retry', async () => {
    const syncer = syncerWith({ tiktok: 100 });
    const metrics = createWorkerMetrics();
    const failingDeps: AccountSyncDeps = { ...syncer.deps, metrics };
    const account = await seedConnectedAccount(stack, owner, 'instagram', { postCount: 5 });
    stack.simulator.control.failNextCalls('instagram', account.externalId, 1, { failure: 'transient' });
    const error = await syncAccountOnce(
      failingDeps,
      { accountId: account.account.id },
      runOf(account.account.id),
    ).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    // Thrown as the platform's error; the syncAccount activity maps it to a retryable failure.
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ kind: 'transient', code: expect.stringMatching(/^IG_/) });
    const failure = toActivityFailure(error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'PlatformTransient', nonRetryable: false });
    const code = (failure as ApplicationFailure).details?.[0] as { code: string };
    expect(code).toEqual(expect.objectContaining({ code: (error as PlatformError).code }));
    expect(await metrics.registry.metrics()).toContain(
      `socialsync_account_syncs_total{platform="instagram",outcome="failed",reason="${code.code}"} 1`,
    );
  });
});
