import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { toActivityFailure } from '../../activities/to-failure';
import { PlatformError } from '../../src/platforms/errors';
import { syncAccountOnce, type AccountSyncDeps, type SyncRun } from '../../src/sync/account-syncer';
import type { User } from '../../src/db/entities';
import { createWorkerMetrics } from '../../src/metrics/worker-metrics';
import { pacingSettingsFromConfig, type PacingSettings } from '../../src/sync/pacing';
import { createSyncBudget } from '../../src/sync/budget';
import { createPlatformClients } from '../../src/platforms';
import { createAccountLease } from '../../src/sync/lease';
import { insertUser, seedConnectedAccount } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { startWorkerStack, type WorkerStack } from '../helpers/stack';

jest.setTimeout(60_000);

/**
 * The account syncer (the code inside the syncAccount activities, Temporal-free) against the simulator,
 * PostgreSQL and Redis: what it reserves in the shared budget, and when it stops calling Instagram.
 */
describe('account syncer: budgets and usage (simulator, PostgreSQL, Redis)', () => {
  let db: TestDatabase;
  let stack: WorkerStack;
  let owner: User;
  let deps: AccountSyncDeps;
  let pacing: PacingSettings;
  const runOf = (accountId: string): SyncRun => ({
    owner: `test/${accountId}`,
    workflowId: 'test',
    heartbeat: () => undefined,
  });
  const run = (accountId: string) => syncAccountOnce(deps, { accountId }, runOf(accountId));

  beforeAll(async () => {
    db = await createTestDatabase();
    // TikTok: 3 calls per endpoint per 10 s window. Instagram: an app budget of 200 x 0.1 = 20 calls an hour.
    stack = await startWorkerStack({ db, tiktokQuota: { perWindow: 3, windowMs: 10_000 } });
    stack.simulator.control.setQuotas({ instagram: { dailyActiveUsers: 0.1, usageHeaders: 'app' } });
    owner = await insertUser(db.orm);
    pacing = pacingSettingsFromConfig(stack.config.sync, 10_000);
    deps = {
      db: db.orm.em.getKnex(),
      logger: pino({ level: 'silent' }),
      cipher: stack.cipher,
      platforms: createPlatformClients(stack.config),
      metrics: createWorkerMetrics(),
      now: () => new Date(),
      jitMarginMinutes: stack.config.refresh.jitMarginMinutes,
      instagramUsageSlowdownPercent: stack.config.sync.instagramUsageSlowdownPercent,
      pacing,
      budget: createSyncBudget({
        redis: stack.redis,
        keyPrefix: stack.config.redis.keyPrefix,
        settings: pacing,
      }),
      lease: createAccountLease({ redis: stack.redis, keyPrefix: stack.config.redis.keyPrefix }),
    };
  });

  afterAll(async () => {
    await stack?.close();
    await db?.drop();
  });

  it('reserves exactly the video/list calls an account needs: 1 for 12 videos, 2 for 40', async () => {
    const few = await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 12 });
    const many = await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 40 });
    const third = await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 40 });
    expect(await run(few.account.id)).toMatchObject({ kind: 'synced', calls: { profile: 1, media: 1 } });
    expect(await run(many.account.id)).toMatchObject({ kind: 'synced', calls: { profile: 1, media: 2 } });
    // video/list: 1 + 2 = 3 reserved and made, the whole window's budget; the third account's profile fits,
    // its videos do not: it comes back to wait (the fleet waits on a timer), and nothing exceeded the quota.
    const refused = await run(third.account.id);
    expect(refused).toMatchObject({
      kind: 'rate_limited',
      platform: 'tiktok',
      scope: 'platform',
      reason: 'budget_spent',
    });
    expect(stack.simulator.control.endpointStats('tiktok.video_list')).toMatchObject({
      total: 3,
      throttled: 0,
    });
  });

  it('stops calling Instagram once its app usage passes 90 %, before the platform has to refuse', async () => {
    const accounts = [];
    for (let i = 0; i < 12; i++)
      accounts.push(await seedConnectedAccount(stack, owner, 'instagram', { postCount: 5 }));
    const outcomes = [];
    for (const account of accounts) outcomes.push(await run(account.account.id));
    const synced = outcomes.filter((outcome) => outcome.kind === 'synced');
    // 2 calls an account against 20 an hour: usage reaches 90 % at the 9th account, and the platform pauses.
    expect(synced.length).toBe(9);
    expect(synced.at(-1)).toMatchObject({ usagePercent: 90 });
    expect(outcomes[9]).toMatchObject({
      kind: 'rate_limited',
      platform: 'instagram',
      reason: 'platform_paused',
    });
    const me = stack.simulator.control.endpointStats('instagram.me');
    expect(me.throttled).toBe(0);
    expect(me.total).toBe(9);
  });

  it('counts an attempt that fails as outcome="failed" with its code, and throws it for Temporal to retry', async () => {
    // Own metrics, and own budgets: the tests above spent TikTok's window and paused Instagram.
    const metrics = createWorkerMetrics();
    const failingDeps: AccountSyncDeps = {
      ...deps,
      metrics,
      budget: createSyncBudget({
        redis: stack.redis,
        keyPrefix: `${stack.config.redis.keyPrefix}failing:`,
        settings: pacing,
      }),
    };
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
