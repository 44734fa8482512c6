import { MockActivityEnvironment } from '@temporalio/testing';
import type { SyncAccountsBatchResult } from '../../activities/sync';
import type { User } from '../../src/db/entities';
import { insertUser, seedConnectedAccount } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { eventually } from '../helpers/processes';
import { startWorkerStack, type WorkerStack } from '../helpers/stack';

jest.setTimeout(60_000);

/**
 * The sync activities' lease owner (activities/context.ts) against the simulator, PostgreSQL and Redis: a
 * later attempt of the same workflow at the same account (a batch item's retry runs as another activity)
 * takes the lease back even while the attempt before still holds it, as after a Redis outage that kept that
 * attempt from releasing it; another workflow still finds the account busy.
 */
describe('sync activities: the lease belongs to the workflow at the account', () => {
  let db: TestDatabase;
  let stack: WorkerStack;
  let owner: User;

  beforeAll(async () => {
    db = await createTestDatabase();
    stack = await startWorkerStack({ db });
    owner = await insertUser(db.orm);
  });
  afterAll(async () => {
    await stack?.close();
    await db?.drop();
  });

  const inActivity = (workflowId: string, activityId: string) =>
    new MockActivityEnvironment({ workflowExecution: { workflowId, runId: 'run' }, activityId });

  it('a retry as another activity of the same workflow syncs; another workflow finds the account busy', async () => {
    const { account } = await seedConnectedAccount(stack, owner, 'instagram', { postCount: 3 });
    const leaseKey = `${stack.config.redis.keyPrefix}sync:lease:${account.id}`;
    stack.simulator.control.setFaults({ all: { latencyMs: 1_500 } });
    try {
      const batch = inActivity('fleet-a', '1').run(stack.activities.syncAccounts, {
        accounts: [{ accountId: account.id }],
      });
      await eventually(async () => (await stack.redis.get(leaseKey)) !== null, 'the batch to take the lease');

      const otherWorkflow = await inActivity('sync-account-x', '1').run(stack.activities.syncAccount, {
        accountId: account.id,
      });
      expect(otherWorkflow).toEqual({ kind: 'busy', platform: 'instagram' });

      const retry = await inActivity('fleet-a', '7').run(stack.activities.syncAccount, {
        accountId: account.id,
      });
      expect(retry).toMatchObject({ kind: 'synced', platform: 'instagram' });
      expect(((await batch) as SyncAccountsBatchResult).results[0]).toMatchObject({ kind: 'synced' });
    } finally {
      stack.simulator.control.setFaults({});
    }
  });
});
