import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import type { Activities } from '../../activities';
import { toActivityFailure } from '../../activities/to-failure';
import { SEARCH_ATTRIBUTES } from '../../src/devtools/dev/temporal-dev-server';
import { PlatformError } from '../../src/platforms/errors';
import { FAILURE_CODES, type SyncAllAccountsResult } from '../../workflows/contract';
import { SYNC_ACCOUNT_RETRY, SYNC_OWN_ERROR_ATTEMPTS } from '../../workflows/retry';
import { refreshAccountTokenWorkflow, syncAllAccountsWorkflow } from '../../workflows';
import { createTestWorker, createTimeSkippingEnv, uniqueTaskQueue } from '../helpers/temporal';
import {
  createFakeSyncWorld,
  makeAccounts,
  syncedResult,
  type FakeSyncWorldOptions,
  type SyncCall,
} from './fake-sync-activities';

jest.setTimeout(120_000);

/** What a refused PostgreSQL connection throws (the driver's code is what the mapping reads). */
function refusedConnection(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
}

/** The syncAccount activity's mapping, with the attempt Temporal gave this call. */
function asSyncActivityFailure(error: unknown, call: SyncCall): unknown {
  return toActivityFailure(error, { attempt: call.attempt, ownErrorAttempts: SYNC_OWN_ERROR_ATTEMPTS });
}

/**
 * How the fleet treats a dependency outage, on the time-skipping server with the real retry policies and the
 * real failure mapping (fake activities): the outage is waited out with server-side retries, it is never the
 * account's failure, and an account's own errors still end after their few attempts.
 */
describe('sync workflows and a database outage (time-skipping server)', () => {
  let testEnv: TestWorkflowEnvironment;

  beforeAll(async () => {
    testEnv = await createTimeSkippingEnv();
    const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    await testEnv.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, keyword])),
    });
  });
  afterAll(() => testEnv?.teardown());

  async function runFleet(options: FakeSyncWorldOptions) {
    const world = createFakeSyncWorld(options);
    const taskQueue = uniqueTaskQueue('outage');
    const worker = await createTestWorker({
      connection: testEnv.nativeConnection,
      taskQueue,
      activities: world.activities,
    });
    const result: SyncAllAccountsResult = await worker.runUntil(
      testEnv.client.workflow.execute(syncAllAccountsWorkflow, {
        taskQueue,
        workflowId: `fleet-${taskQueue}`,
        args: [{}],
      }),
    );
    const singleAttempts = (accountId: string) =>
      world.syncCalls.filter((call) => call.input.accountId === accountId && call.via === 'single').length;
    return { world, result, singleAttempts };
  }

  it('waits out a 10-minute outage: every account is synced, none counted failed', async () => {
    const accounts = makeAccounts('instagram', 6);
    let outageEndsAt = 0;
    const { result, singleAttempts } = await runFleet({
      accounts,
      sync: (call, account) => {
        if (!outageEndsAt) outageEndsAt = call.scheduledAtMs + 10 * 60_000;
        if (call.scheduledAtMs < outageEndsAt) throw asSyncActivityFailure(refusedConnection(), call);
        return syncedResult(account);
      },
    });
    expect(result).toMatchObject({ found: 6, succeeded: 6, failed: 0, failures: [] });
    // Far more attempts than an own error gets: only the outage's retry schedule allows them.
    for (const account of accounts)
      expect(singleAttempts(account.id)).toBeGreaterThan(SYNC_OWN_ERROR_ATTEMPTS);
  });

  it("an account's own transient error still ends after its few attempts (1 s, 2 s, 4 s), with the platform's code", async () => {
    const [account] = makeAccounts('tiktok', 1);
    const { result, singleAttempts } = await runFleet({
      accounts: [account],
      sync: (call) => {
        const error = new PlatformError({
          platform: 'tiktok',
          kind: 'transient',
          code: 'TT_internal_error',
          endpoint: 'GET /v2/user/info/',
          message: 'internal error',
        });
        throw asSyncActivityFailure(error, call);
      },
    });
    expect(result).toMatchObject({
      failed: 1,
      failures: [{ accountId: account.id, errorCode: 'TT_internal_error' }],
    });
    expect(singleAttempts(account.id)).toBe(SYNC_OWN_ERROR_ATTEMPTS);
  });

  it('an outage longer than the whole schedule ends the wait with DATABASE_UNAVAILABLE, never a class name', async () => {
    const [account] = makeAccounts('instagram', 1);
    const { result, singleAttempts } = await runFleet({
      accounts: [account],
      sync: (call) => {
        throw asSyncActivityFailure(refusedConnection(), call);
      },
    });
    expect(result.failures).toEqual([
      { accountId: account.id, errorCode: FAILURE_CODES.databaseUnavailable },
    ]);
    expect(singleAttempts(account.id)).toBe(SYNC_ACCOUNT_RETRY.maximumAttempts);
  });

  it('a token refresh that waited out its retries on an unavailable database is not recorded against the account', async () => {
    const recorded: string[] = [];
    const activities: Pick<
      Activities,
      | 'refreshAccountToken'
      | 'recordRefreshFailure'
      | 'markAccountReauthRequired'
      | 'deliverNotificationWebhook'
    > = {
      async refreshAccountToken() {
        throw toActivityFailure(refusedConnection());
      },
      async recordRefreshFailure(input) {
        recorded.push(input.errorCode);
        return { outcome: 'failed', consecutiveFailures: 1, notificationIds: [] };
      },
      async markAccountReauthRequired() {
        return { notificationId: null, deliver: false };
      },
      async deliverNotificationWebhook() {
        return { status: 'not_configured' };
      },
    };
    const taskQueue = uniqueTaskQueue('outage-refresh');
    const worker = await createTestWorker({ connection: testEnv.nativeConnection, taskQueue, activities });
    const result = await worker.runUntil(
      testEnv.client.workflow.execute(refreshAccountTokenWorkflow, {
        taskQueue,
        workflowId: `refresh-${taskQueue}`,
        args: [{ accountId: 'account-1', trigger: 'api' }],
      }),
    );
    expect(result).toEqual({
      accountId: 'account-1',
      outcome: 'failed',
      errorCode: FAILURE_CODES.databaseUnavailable,
    });
    expect(recorded).toEqual([]);
  });

  it('a failure the mapping did not build is reported as ACTIVITY_FAILED', async () => {
    const [account] = makeAccounts('instagram', 1);
    const { result } = await runFleet({
      accounts: [account],
      sync: () => {
        throw ApplicationFailure.create({
          type: 'TypeError',
          message: 'x is not a function',
          nonRetryable: true,
        });
      },
    });
    expect(result.failures).toEqual([{ accountId: account.id, errorCode: 'ACTIVITY_FAILED' }]);
  });
});
