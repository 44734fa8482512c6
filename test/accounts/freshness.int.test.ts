import type { Knex } from '@mikro-orm/postgresql';
import pino from 'pino';
import type { User } from '../../src/db/entities';
import { startFreshnessGauges } from '../../src/metrics/freshness-gauges';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/metrics-server';
import { createWorkerMetrics } from '../../src/metrics/worker-metrics';
import { makeSyncAllAccountsWorkflowId } from '../../workflows/contract';
import { syncAllAccountsWorkflow } from '../../workflows';
import { insertAccount, insertUser, seedConnectedAccount } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { eventually } from '../helpers/processes';
import { startWorkerStack, type WorkerStack } from '../helpers/stack';
import { startDevServerWorker, uniqueTaskQueue } from '../helpers/temporal';

jest.setTimeout(120_000);

const HOUR = 3_600_000;

/**
 * Data freshness on the worker: socialsync_accounts_stale and socialsync_oldest_sync_age_seconds on its real
 * /metrics endpoint, set by the fleet's checkFleetFreshness activity and by the 10-minute refresher, and the
 * fleet.stale_accounts event after a fleet sync that leaves accounts stale.
 */
describe('freshness metrics and the fleet.stale_accounts event (PostgreSQL, Temporal dev server)', () => {
  let db: TestDatabase;
  let stack: WorkerStack;
  let knex: Knex;
  let owner: User;
  let server: MetricsServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = db.orm.em.getKnex();
    stack = await startWorkerStack({ db });
    owner = await insertUser(db.orm);
    server = await startMetricsServer({
      port: 0,
      host: '127.0.0.1',
      registry: stack.metrics.registry,
      sdkMetricsUrl: null,
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await server?.close();
    await stack?.close();
    await db?.drop();
  });

  const scrape = async () => (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  const gauge = (text: string, name: string, platform: string) =>
    Number(new RegExp(`^${name}\\{platform="${platform}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const ago = (ms: number) => new Date(Date.now() - ms);
  const add = async (platform: 'instagram' | 'tiktok', lastSyncedAt: Date | null) =>
    (
      await insertAccount(db.orm, stack.cipher, {
        owner,
        platform,
        accessToken: 'not-a-real-token',
        accessExpiresAt: new Date(Date.now() + 30 * 24 * HOUR),
        lastSyncedAt,
      })
    ).id;
  const staleEvents = () => knex('outbox').where({ kind: 'fleet.stale_accounts' }).orderBy('seq');

  it('ages accounts and sees socialsync_accounts_stale and the oldest age move; one event per fleet run', async () => {
    await add('instagram', ago(HOUR));
    const igLate = await add('instagram', ago(30 * HOUR));
    await add('tiktok', ago(2 * HOUR));
    const ttNever = await add('tiktok', null);
    const check = (run: string) =>
      stack.activities.checkFleetFreshness({ fleetWorkflowId: 'fleet-test', fleetRunId: run });

    expect(await check('run-1')).toEqual({ stale: 0, eventId: null });
    let text = await scrape();
    expect(gauge(text, 'socialsync_accounts_stale', 'instagram')).toBe(0);
    expect(gauge(text, 'socialsync_accounts_stale', 'tiktok')).toBe(0);
    expect(gauge(text, 'socialsync_oldest_sync_age_seconds', 'instagram')).toBeCloseTo(30 * 3600, -2);
    expect(await staleEvents()).toEqual([]);

    await knex('social_accounts')
      .where({ id: igLate })
      .update({ last_synced_at: ago(40 * HOUR) });
    await knex('social_accounts')
      .where({ id: ttNever })
      .update({ created_at: ago(50 * HOUR) });
    const second = await check('run-2');
    expect(second.stale).toBe(2);
    text = await scrape();
    expect(gauge(text, 'socialsync_accounts_stale', 'instagram')).toBe(1);
    expect(gauge(text, 'socialsync_accounts_stale', 'tiktok')).toBe(1);
    expect(gauge(text, 'socialsync_oldest_sync_age_seconds', 'tiktok')).toBeCloseTo(50 * 3600, -2);
    const [event] = await staleEvents();
    expect(event.id).toBe(second.eventId);
    expect(event).toMatchObject({
      stream_key: 'fleet',
      payload: {
        staleAfterHours: 36,
        count: 2,
        accountIds: [ttNever, igLate], // oldest data first
        byPlatform: { instagram: 1, tiktok: 1 },
        fleetWorkflowId: 'fleet-test',
      },
    });
    // The same fleet run checked again (a retried activity): no second event.
    expect(await check('run-2')).toEqual({ stale: 2, eventId: null });
    expect(await staleEvents()).toHaveLength(1);

    await knex('social_accounts').where({ id: igLate }).update({ last_synced_at: new Date() });
    await check('run-3');
    expect(gauge(await scrape(), 'socialsync_accounts_stale', 'instagram')).toBe(0);
    expect(await staleEvents()).toHaveLength(2);
    await knex('social_accounts').whereIn('id', [ttNever]).update({ status: 'disconnected' });
  });

  it('refreshes the gauges on its own between fleet runs', async () => {
    const metrics = createWorkerMetrics();
    const id = await add('instagram', ago(HOUR));
    const refresher = startFreshnessGauges({
      db: knex,
      metrics,
      staleAfterHours: 36,
      now: () => new Date(),
      logger: pino({ level: 'silent' }),
      intervalMs: 200,
    });
    try {
      const stale = async () =>
        (await metrics.accountsStale.get()).values.find((v) => v.labels.platform === 'instagram')?.value;
      await eventually(async () => (await stale()) === 0, 'the first reading');
      await knex('social_accounts')
        .where({ id })
        .update({ last_synced_at: ago(37 * HOUR) });
      await eventually(async () => (await stale()) === 1, 'the aged account counted without a fleet run');
    } finally {
      refresher.stop();
      await knex('social_accounts').where({ id }).update({ status: 'disconnected' });
    }
  });

  it('after a fleet sync that leaves an account stale: one fleet.stale_accounts event naming it', async () => {
    await knex('outbox').delete();
    await knex('social_accounts').update({ status: 'disconnected' });
    const healthy = await seedConnectedAccount(stack, owner, 'instagram', { postCount: 2 });
    const failing = await seedConnectedAccount(stack, owner, 'instagram', {
      postCount: 2,
      lastSyncedAt: ago(40 * HOUR),
    });
    // Every call for this account fails transiently: its retries run out and it stays 40 hours old.
    stack.simulator.control.failNextCalls('instagram', failing.externalId, 1_000, { failure: 'transient' });
    const taskQueue = uniqueTaskQueue('freshness');
    const temporal = await startDevServerWorker({ taskQueue, activities: stack.activities });
    try {
      const workflowId = makeSyncAllAccountsWorkflowId(`freshness-${Date.now()}`);
      const result = await temporal.client.workflow.execute(syncAllAccountsWorkflow, {
        taskQueue,
        workflowId,
        args: [{ minAgeHours: 0, triggeredBy: 'cli' }],
      });
      expect(result).toMatchObject({ succeeded: 1, failed: 1 });
      const events = await staleEvents();
      expect(events).toHaveLength(1);
      expect(events[0].payload).toMatchObject({
        count: 1,
        accountIds: [failing.account.id],
        byPlatform: { instagram: 1, tiktok: 0 },
        fleetWorkflowId: workflowId,
      });
      expect(gauge(await scrape(), 'socialsync_accounts_stale', 'instagram')).toBe(1);
      expect((await knex('outbox').where({ kind: 'account.synced' })).map((row) => row.stream_key)).toEqual([
        healthy.account.id,
      ]);
    } finally {
      await temporal.close();
    }
  });
});
