import type { Knex } from '@mikro-orm/postgresql';
import pino from 'pino';
import { accountSyncDeps } from '../../activities/sync';
import type { User } from '../../src/db/entities';
import { syncAccountOnce, type AccountSyncDeps } from '../../src/sync/account-syncer';
import { ensureWebhookDrainer } from '../../src/temporal/webhook-drainer';
import { readOutboxOverview, retryDeadEvent } from '../../src/webhooks/outbox';
import { progressQuery, type WebhookDrainerProgress } from '../../workflows/contract';
import { insertUser, seedConnectedAccount, type ConnectedAccount } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { eventually } from '../helpers/processes';
import { startWorkerStack, WEBHOOK_SECRET, type WorkerStack } from '../helpers/stack';
import { startDevServerWorker, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { loadDocumentedVerifier } from '../helpers/webhook-snippet';

jest.setTimeout(120_000);

const CONCURRENCY = 3;

/**
 * The webhook drainer end to end: real syncs write account.synced events (PostgreSQL, simulator), the
 * drainer workflow runs on the Temporal dev server with the worker's real activities, and a local receiver
 * answers. Retry waits are shrunk (200 ms doubling to 1 s) so an outage and its recovery fit in seconds.
 */
describe('webhook drainer (Temporal dev server, PostgreSQL, local receiver)', () => {
  let db: TestDatabase;
  let stack: WorkerStack;
  let temporal: TestTemporal;
  let knex: Knex;
  let owner: User;
  let syncDeps: AccountSyncDeps;
  let drainerId: string;
  const taskQueue = uniqueTaskQueue('webhooks');

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = db.orm.em.getKnex();
    stack = await startWorkerStack({
      db,
      webhook: true,
      env: { WEBHOOK_CONCURRENCY: String(CONCURRENCY) },
      webhookBackoff: { firstMs: 200, maxMs: 1_000 },
    });
    owner = await insertUser(db.orm);
    syncDeps = accountSyncDeps({
      config: stack.config,
      logger: pino({ level: 'silent' }),
      orm: db.orm,
      redis: stack.redis,
      cipher: stack.cipher,
      platforms: stack.platforms,
      metrics: stack.metrics,
      now: () => new Date(),
    });
    temporal = await startDevServerWorker({ taskQueue, activities: stack.activities });
    ({ workflowId: drainerId } = await ensureWebhookDrainer(temporal.client, taskQueue));
  });

  afterAll(async () => {
    await temporal?.client.workflow
      .getHandle(drainerId)
      .terminate('test done')
      .catch(() => undefined);
    await temporal?.close();
    await stack?.close();
    await db?.drop();
  });

  const receiver = () => stack.webhook!;
  const sync = async (account: ConnectedAccount) => {
    const id = account.account.id;
    const result = await syncAccountOnce(
      syncDeps,
      { accountId: id },
      { owner: `test/${id}`, workflowId: 'test', heartbeat: () => {} },
    );
    expect(result.kind).toBe('synced');
  };
  const eventIdsOf = async (accountId: string): Promise<string[]> =>
    (await knex('outbox').select('id').where({ stream_key: accountId }).orderBy('seq')).map((row) => row.id);
  const acceptedIds = () =>
    new Set(
      receiver()
        .accepted()
        .map((event) => event.id),
    );
  const waitDelivered = (ids: string[], what: string) =>
    eventually(async () => ids.every((id) => acceptedIds().has(id)), what, 60_000);

  it('a second worker start finds the running drainer: one workflow per task queue', async () => {
    const again = await ensureWebhookDrainer(temporal.client, taskQueue);
    expect(again.workflowId).toBe(drainerId);
    const description = await temporal.client.workflow.getHandle(drainerId).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(again.runId).toBe(description.runId);
  });

  it('delivers each synced account event, signed: the docs snippet verifies it and refuses a tampered or replayed one', async () => {
    const accounts = [
      await seedConnectedAccount(stack, owner, 'instagram', { postCount: 3 }),
      await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 2 }),
    ];
    for (const account of accounts) await sync(account);
    const ids = (await Promise.all(accounts.map((account) => eventIdsOf(account.account.id)))).flat();
    expect(ids).toHaveLength(2);
    await waitDelivered(ids, 'both account.synced events');

    const verify = loadDocumentedVerifier();
    for (const id of ids) {
      const request = receiver().received.find((r) => r.headers['x-socialsync-delivery'] === id)!;
      const event = verify(request.body, request.headers, WEBHOOK_SECRET);
      expect(event).toMatchObject({ id, kind: 'account.synced' });
      expect(event!.data).toMatchObject({
        ownerId: owner.id,
        posts: { added: expect.any(Number), updated: 0 },
      });
      // Tampered, signed with another secret, replayed ten minutes later: all refused.
      expect(
        verify(request.body.replace('"followers":', '"followers":1'), request.headers, WEBHOOK_SECRET),
      ).toBeNull();
      expect(verify(request.body, request.headers, 'another-secret')).toBeNull();
      expect(verify(request.body, request.headers, WEBHOOK_SECRET, Date.now() + 10 * 60_000)).toBeNull();
      expect(request.headers['user-agent']).toBe('socialsync-webhook/1');
    }
    await eventually(
      async () => (await knex('outbox').whereIn('id', ids).andWhere('status', 'delivered')).length === 2,
      'events marked delivered',
    );
  });

  it('a receiver down for a while gets everything later, in order per account', async () => {
    const accounts = [
      await seedConnectedAccount(stack, owner, 'instagram', { postCount: 2 }),
      await seedConnectedAccount(stack, owner, 'instagram', { postCount: 2 }),
      await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 2 }),
    ];
    receiver().setDown(true);
    for (let round = 1; round <= 3; round++) {
      for (const account of accounts) {
        stack.simulator.control.updateAccount(account.platform, account.externalId, {
          followers: 1000 * round,
        });
        await sync(account);
      }
    }
    const ids = (await Promise.all(accounts.map((account) => eventIdsOf(account.account.id)))).flat();
    expect(ids).toHaveLength(9);
    // The drainer tries, fails, and says so in the admin view.
    await eventually(async () => {
      const overview = await readOutboxOverview(knex, { deadLimit: 5 });
      return overview.counts.pending >= 9 && overview.lastError?.error === 'NETWORK';
    }, 'failed attempts recorded while the receiver is down');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(ids.filter((id) => acceptedIds().has(id))).toEqual([]);

    receiver().setDown(false);
    await waitDelivered(ids, 'every event after the receiver came back');
    for (const account of accounts) {
      const delivered = receiver()
        .accepted()
        .filter((event) => event.data.accountId === account.account.id);
      expect(delivered.map((event) => event.id)).toEqual(await eventIdsOf(account.account.id));
      expect(delivered.map((event) => event.data.followers)).toEqual([1000, 2000, 3000]);
      expect(delivered.map((event) => event.data.followersChange)).toEqual([null, 1000, 1000]);
    }
    const progress = (await temporal.client.workflow
      .getHandle(drainerId)
      .query(progressQuery)) as WebhookDrainerProgress;
    expect(progress.delivered).toBeGreaterThanOrEqual(11);
    expect(progress.retrying).toBeGreaterThan(0);
    expect(progress.downStreak).toBe(0);
  });

  it('a 4xx refusal is final: the event is dead, the account moves on, an admin retry delivers it', async () => {
    const account = await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 1 });
    receiver().answerWith([422]);
    await sync(account);
    const [refused] = await eventIdsOf(account.account.id);
    await eventually(
      async () => (await knex('outbox').where({ id: refused }).first()).status === 'dead',
      'the refused event dead',
    );
    const overview = await readOutboxOverview(knex, { deadLimit: 5 });
    expect(overview.dead).toEqual([
      expect.objectContaining({ id: refused, attempts: 1, lastError: 'HTTP_422', lastHttpStatus: 422 }),
    ]);
    await sync(account);
    const [, next] = await eventIdsOf(account.account.id);
    await waitDelivered([next], "the account's next event");
    expect(acceptedIds().has(refused)).toBe(false);

    expect(await retryDeadEvent(knex, refused, new Date())).toBe('retried');
    await waitDelivered([refused], 'the retried event');
    expect((await knex('outbox').where({ id: refused }).first()).status).toBe('delivered');
  });

  it(`keeps at most WEBHOOK_CONCURRENCY (${CONCURRENCY}) requests in flight, accounts side by side`, async () => {
    receiver().setDelay(150);
    try {
      const accounts: ConnectedAccount[] = [];
      for (let i = 0; i < 10; i++) accounts.push(await seedConnectedAccount(stack, owner, 'instagram'));
      // Earlier tests' requests count for nothing here: this peak is these ten accounts'.
      receiver().resetPeak();
      await Promise.all(accounts.map(sync));
      const ids = (await Promise.all(accounts.map((account) => eventIdsOf(account.account.id)))).flat();
      await waitDelivered(ids, 'ten events from ten accounts');
      expect(receiver().maxInFlight()).toBe(CONCURRENCY);
    } finally {
      receiver().setDelay(0);
    }
  });
});
