import { randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import type { Knex } from '@mikro-orm/postgresql';
import type { User } from '../../src/db/entities';
import {
  makeSyncAccountWorkflowId,
  makeSyncAllAccountsWorkflowId,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  type SyncAccountResult,
  type SyncAllAccountsInput,
} from '../../workflows/contract';
import { causeTrouble, insertUser, seedConnectedAccount, type ConnectedAccount } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { workflowHistoryText } from '../helpers/history-text';
import { startDevServerWorker, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { listablePosts, startWorkerStack, type WorkerStack } from '../helpers/stack';
import { syncAccountWorkflow, syncAllAccountsWorkflow } from '../../workflows';

jest.setTimeout(240_000);

/** TikTok quota in the simulator and our budgets: 40 calls per endpoint per 10 s (a per-minute 240). */
const TIKTOK_PER_WINDOW = 40;
const WINDOW_MS = 10_000;

type Kind = 'normal' | 'revoked' | 'flaky' | 'recent';
interface Seeded extends ConnectedAccount {
  kind: Kind;
}

describe('data sync on the dev server, PostgreSQL, Redis and the simulator', () => {
  let db: TestDatabase;
  let stack: WorkerStack;
  let temporal: TestTemporal;
  let knex: Knex;
  let owner: User;
  const taskQueue = uniqueTaskQueue('sync-fleet');
  const seeded: Seeded[] = [];
  const recentlySyncedAt = new Date(Date.now() - 3_600_000);

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = db.orm.em.getKnex();
    stack = await startWorkerStack({
      db,
      tiktokQuota: { perWindow: TIKTOK_PER_WINDOW, windowMs: WINDOW_MS },
    });
    temporal = await startDevServerWorker({ taskQueue, activities: stack.activities });
    owner = await insertUser(db.orm);
    await seedFleet({ instagram: 60, tiktok: 40 });
  });

  afterAll(async () => {
    await temporal?.close();
    await stack?.close();
    await db?.drop();
  });

  /** Per platform: 4 revoked, 4 flaky (two transient failures first), 5 synced an hour ago; a third of all
   *  accounts have fewer than 25 posts. */
  async function seedFleet(counts: Record<'instagram' | 'tiktok', number>): Promise<void> {
    for (const platform of ['instagram', 'tiktok'] as const) {
      for (let i = 0; i < counts[platform]; i++) {
        const kind: Kind = i < 4 ? 'revoked' : i < 8 ? 'flaky' : i < 13 ? 'recent' : 'normal';
        const account = await seedConnectedAccount(stack, owner, platform, {
          postCount: i % 3 === 0 ? 12 : 40,
          lastSyncedAt: kind === 'recent' ? recentlySyncedAt : null,
        });
        if (kind === 'revoked' || kind === 'flaky') causeTrouble(stack.simulator, account, kind);
        seeded.push({ ...account, kind });
      }
    }
  }

  async function runFleet(
    input: SyncAllAccountsInput,
    workflowId = makeSyncAllAccountsWorkflowId(`test-${randomUUID()}`),
  ) {
    const result = await temporal.client.workflow.execute(syncAllAccountsWorkflow, {
      taskQueue,
      workflowId,
      args: [input],
    });
    return { result, workflowId };
  }

  const countRows = async (table: string, accountId: string) =>
    Number((await knex(table).where({ account_id: accountId }).count({ n: '*' }))[0].n);
  const profileCalls = (account: Seeded) => {
    const stats = stack.simulator.control.accountStats(account.platform, account.externalId);
    return account.platform === 'instagram' ? stats['instagram.me'] : stats['tiktok.user_info'];
  };
  const expectedPosts = (account: Seeded) =>
    Math.min(25, listablePosts(stack, account.platform, account.externalId).length);

  let firstRunStartedAt: Date;

  it('syncs every due account once, within the TikTok quota; revoked ones need re-auth and are notified', async () => {
    firstRunStartedAt = new Date();
    const { result, workflowId } = await runFleet({ triggeredBy: 'cli' });
    const due = seeded.filter((account) => account.kind !== 'recent');
    const revoked = seeded.filter((account) => account.kind === 'revoked');
    expect(result).toMatchObject({
      found: due.length,
      done: due.length,
      succeeded: due.length - revoked.length,
      reauthRequired: revoked.length,
      failed: 0,
      skipped: 0,
    });

    for (const account of seeded) {
      const row = await knex('social_accounts').where({ id: account.account.id }).first();
      if (account.kind === 'recent') {
        // Synced an hour ago: not due, so not touched at all.
        expect(new Date(row.last_synced_at).getTime()).toBe(recentlySyncedAt.getTime());
        expect(profileCalls(account)).toBeUndefined();
        expect(await countRows('account_snapshots', account.account.id)).toBe(0);
      } else if (account.kind === 'revoked') {
        expect(row.status).toBe('reauth_required');
        expect(row.last_synced_at).toBeNull();
        const notifications = await knex('notifications')
          .where({ user_id: owner.id, kind: 'reauth_required' })
          .whereRaw('dedupe_key like ?', [`%${account.account.id}%`]);
        expect(notifications).toHaveLength(1);
      } else {
        expect(row.status).toBe('active');
        expect(new Date(row.last_synced_at).getTime()).toBeGreaterThanOrEqual(firstRunStartedAt.getTime());
        expect(profileCalls(account)?.ok).toBe(1);
        expect(await countRows('posts', account.account.id)).toBe(expectedPosts(account));
        expect(await countRows('account_snapshots', account.account.id)).toBe(1);
      }
    }
    // Some accounts really had 25 or more posts to page through, others fewer.
    expect(
      seeded.filter((account) => account.kind === 'normal' && expectedPosts(account) === 25).length,
    ).toBeGreaterThan(20);

    for (const endpoint of ['tiktok.video_list', 'tiktok.user_info'] as const) {
      const stats = stack.simulator.control.endpointStats(endpoint);
      expect(stats.maxInWindow).toBeLessThanOrEqual(TIKTOK_PER_WINDOW);
      expect(stats.throttled).toBe(0);
    }
    // The quota did bind: 2 video/list calls for ~35 TikTok accounts do not fit in one window.
    expect(stack.simulator.control.endpointStats('tiktok.video_list').total).toBeGreaterThan(
      TIKTOK_PER_WINDOW,
    );

    const description = await temporal.client.workflow.getHandle(workflowId).describe();
    expect(description.typedSearchAttributes.get(TRIGGERED_BY_SEARCH_ATTRIBUTE)).toBe('cli');

    const history = await workflowHistoryText(temporal.client, workflowId);
    expect(history).toContain(seeded[20].account.id); // the scan reads payloads
    for (const account of seeded) {
      expect(history).not.toContain(account.accessToken);
      if (account.refreshToken) expect(history).not.toContain(account.refreshToken);
    }
  });

  it('a second sync the same day updates metrics without duplicating posts or snapshots', async () => {
    const target = seeded.find((account) => account.kind === 'normal' && account.platform === 'instagram')!;
    const newestPost = listablePosts(stack, 'instagram', target.externalId)[0];
    stack.simulator.control.updateAccount('instagram', target.externalId, { followers: 123_456 });
    stack.simulator.control.updatePost('instagram', target.externalId, newestPost.id, { likes: 9_999 });
    const postsBefore = await countRows('posts', target.account.id);

    const { result } = await runFleet({ minAgeHours: 0, triggeredBy: 'cli' });
    const active = seeded.filter((account) => account.kind !== 'revoked');
    expect(result).toMatchObject({ found: active.length, succeeded: active.length, failed: 0 });

    for (const account of active) {
      expect(await countRows('posts', account.account.id)).toBe(expectedPosts(account));
      expect(await countRows('account_snapshots', account.account.id)).toBe(1);
    }
    expect(await countRows('posts', target.account.id)).toBe(postsBefore);
    const row = await knex('social_accounts').where({ id: target.account.id }).first();
    expect(row.followers).toBe(123_456);
    const snapshot = await knex('account_snapshots').where({ account_id: target.account.id }).first();
    expect(snapshot.followers).toBe(123_456);
    const post = await knex('posts')
      .where({ account_id: target.account.id, platform_id: newestPost.id })
      .first();
    expect(post.likes).toBe(9_999);
    expect(stack.simulator.control.endpointStats('tiktok.video_list').maxInWindow).toBeLessThanOrEqual(
      TIKTOK_PER_WINDOW,
    );
  });

  it('an on-demand sync started twice is one run, and the fleet next to it never syncs that account at the same time', async () => {
    const target = seeded.find((account) => account.kind === 'normal' && account.platform === 'instagram')!;
    const callsBefore = profileCalls(target)?.total ?? 0;
    const options = {
      taskQueue,
      workflowId: makeSyncAccountWorkflowId(target.account.id),
      args: [{ accountId: target.account.id, triggeredBy: 'api' }] as Parameters<typeof syncAccountWorkflow>,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    };
    const fleet = runFleet({ minAgeHours: 0, platform: 'instagram' });
    const first = await temporal.client.workflow.start(syncAccountWorkflow, options);
    const second = await temporal.client.workflow.start(syncAccountWorkflow, options);
    expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
    const onDemand: SyncAccountResult = await first.result();
    const { result } = await fleet;
    expect(onDemand.outcome).toBe('synced');
    expect(result.failed).toBe(0);
    // The fleet either skipped it (held, or synced meanwhile by the on-demand run) or synced it strictly
    // before or after: at most two syncs, never two at once (the lease), and still one snapshot a day.
    expect((profileCalls(target)?.total ?? 0) - callsBefore).toBeLessThanOrEqual(2);
    expect(await countRows('account_snapshots', target.account.id)).toBe(1);
  });
});
