import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { toActivityFailure } from '../../activities/to-failure';
import { PlatformError, type PlatformErrorKind } from '../../src/platforms/errors';
import {
  makeDeliverNotificationWorkflowId,
  type RefreshAccountTokenInput,
  type RefreshExpiringTokensInput,
  type RefreshExpiringTokensResult,
} from '../../workflows/contract';
import { REFRESH_RETRY } from '../../workflows/retry';
import { createTestWorker, createTimeSkippingEnv, uniqueTaskQueue } from '../helpers/temporal';
import {
  accountIds,
  createFakeRefreshWorld,
  type FakeRefreshWorld,
  type FakeWorldOptions,
} from './fake-refresh-activities';
import { refreshAccountTokenWorkflow, refreshExpiringTokensWorkflow } from '../../workflows';

/** Workflow behaviour on the time-skipping server with fake activities: timers and retry delays cost nothing. */
jest.setTimeout(120_000);

describe('token refresh workflows (time-skipping)', () => {
  let testEnv: TestWorkflowEnvironment;

  beforeAll(async () => {
    testEnv = await createTimeSkippingEnv();
  });

  afterAll(async () => {
    await testEnv?.teardown();
  });

  async function withWorld<T>(
    options: FakeWorldOptions,
    run: (world: FakeRefreshWorld, taskQueue: string) => Promise<T>,
  ): Promise<T> {
    const world = createFakeRefreshWorld(options);
    const taskQueue = uniqueTaskQueue('refresh-ts');
    const worker: Worker = await createTestWorker({
      connection: testEnv.nativeConnection,
      taskQueue,
      activities: world.activities,
    });
    return worker.runUntil(run(world, taskQueue));
  }

  const runFleet = (
    taskQueue: string,
    input: RefreshExpiringTokensInput,
    workflowId = `fleet-${taskQueue}`,
  ) =>
    testEnv.client.workflow.execute(refreshExpiringTokensWorkflow, {
      taskQueue,
      workflowId,
      args: [input],
    });

  const refreshOne = (taskQueue: string, input: RefreshAccountTokenInput) =>
    testEnv.client.workflow.execute(refreshAccountTokenWorkflow, {
      taskQueue,
      workflowId: `refresh-one-${taskQueue}`,
      args: [input],
    });

  const childResult = (notificationId: string) =>
    testEnv.client.workflow.getHandle(makeDeliverNotificationWorkflowId(notificationId)).result();

  function platformFailure(kind: PlatformErrorKind, code: string, retryAfterMs?: number) {
    return toActivityFailure(
      new PlatformError({
        platform: 'tiktok',
        kind,
        code,
        endpoint: 'POST /v2/oauth/token/',
        message: code,
        retryAfterMs,
      }),
    );
  }

  it('paces dispatches with durable timers and keeps at most `concurrency` refreshes in flight', async () => {
    await withWorld({ accountIds: accountIds(12), refreshDelayMs: 150 }, async (world, taskQueue) => {
      const result = await runFleet(taskQueue, { concurrency: 3, spacingMs: 60_000, windowDays: 7 });
      expect(result.considered).toBe(12);
      expect(result.refreshed).toBe(12);
      // One dispatch a minute (server time), on a fixed schedule: a dispatch that left a few ms late does not
      // push the next one back, so consecutive gaps are a minute give or take those ms.
      const scheduled = world.refreshCalls.map((call) => call.scheduledAtMs).sort((a, b) => a - b);
      expect(scheduled).toHaveLength(12);
      scheduled.slice(1).forEach((at, index) => expect(at - scheduled[index]).toBeGreaterThanOrEqual(59_000));
      expect(scheduled[scheduled.length - 1] - scheduled[0]).toBeGreaterThanOrEqual(11 * 60_000 - 1000);
      expect(result.durationMs).toBeGreaterThanOrEqual(11 * 60_000);
      expect(world.maxInFlight()).toBeLessThanOrEqual(3);
      // Durable timers, one before each dispatch after the first.
      const timers = await countHistoryEvents(testEnv, `fleet-${taskQueue}`, 'timerStartedEventAttributes');
      expect(timers).toBe(11);
    });
  });

  it('bounds concurrency without pacing', async () => {
    await withWorld({ accountIds: accountIds(12), refreshDelayMs: 300 }, async (world, taskQueue) => {
      const result = await runFleet(taskQueue, { concurrency: 4, spacingMs: 0, windowDays: 7 });
      expect(result.refreshed).toBe(12);
      expect(world.maxInFlight()).toBe(4);
    });
  });

  it('continues as new with its cursor and counters, refreshing every account exactly once', async () => {
    const ids = accountIds(23);
    const outcomeOf = (id: string) => (Number(id.slice(-4)) % 3 === 0 ? 'not_due' : 'refreshed');
    await withWorld(
      {
        accountIds: ids,
        refresh: ({ input }) => ({ outcome: outcomeOf(input.accountId), notificationIds: [] }),
      },
      async (world, taskQueue) => {
        const workflowId = `fleet-can-${taskQueue}`;
        const result = await runFleet(
          taskQueue,
          { concurrency: 3, spacingMs: 1000, pageSize: 4, accountsPerRun: 5 },
          workflowId,
        );
        expect(result.runs).toBe(5); // 5 + 5 + 5 + 5 + 3
        expect(result.considered).toBe(23);
        expect(result.notDue).toBe(ids.filter((id) => outcomeOf(id) === 'not_due').length);
        expect(result.refreshed).toBe(ids.filter((id) => outcomeOf(id) === 'refreshed').length);
        expect(world.refreshCalls.map((call) => call.input.accountId).sort()).toEqual(ids);
        // Settings were read once and carried: windowDays reaches every refresh of every run.
        expect(new Set(world.refreshCalls.map((call) => call.input.onlyIfExpiresWithinMinutes))).toEqual(
          new Set([7 * 24 * 60]),
        );
        const runs = await listRunStatuses(testEnv, workflowId);
        expect(runs.filter((status) => status === 'CONTINUED_AS_NEW')).toHaveLength(4);
      },
    );
  });

  it('answers the progress query with its counters and settings (here after it completed)', async () => {
    await withWorld({ accountIds: accountIds(3) }, async (_world, taskQueue) => {
      const handle = await testEnv.client.workflow.start(refreshExpiringTokensWorkflow, {
        taskQueue,
        workflowId: `fleet-progress-${taskQueue}`,
        args: [{ concurrency: 1, spacingMs: 3_600_000 }],
      });
      const result = (await handle.result()) as RefreshExpiringTokensResult;
      const progress = await handle.query<Record<string, unknown>>('progress');
      expect(progress).toMatchObject({
        considered: 3,
        refreshed: 3,
        inFlight: 0,
        done: true,
        concurrency: 1,
        windowDays: 7,
      });
      expect(result.runs).toBe(1);
    });
  });

  it('waits the Retry-After of a rate limit through nextRetryDelay, then refreshes', async () => {
    const thirtyMinutes = 30 * 60_000;
    await withWorld(
      {
        refresh: ({ attempt }) => {
          if (attempt === 1) throw platformFailure('rate_limited', 'TT_rate_limit_exceeded', thirtyMinutes);
          return { outcome: 'refreshed', platform: 'tiktok', notificationIds: [] };
        },
      },
      async (world, taskQueue) => {
        const result = await refreshOne(taskQueue, { accountId: 'acct-rl', trigger: 'api' });
        expect(result.outcome).toBe('refreshed');
        expect(world.refreshCalls.map((call) => call.attempt)).toEqual([1, 2]);
        // The default backoff would retry after 2 s; the platform asked for 30 minutes (server time).
        expect(await workflowDurationMs(testEnv, `refresh-one-${taskQueue}`)).toBeGreaterThanOrEqual(
          thirtyMinutes,
        );
      },
    );
  });

  it('retries transient errors with backoff, then records the failure (account stays active)', async () => {
    await withWorld(
      {
        refresh: () => {
          throw platformFailure('transient', 'HTTP_503');
        },
      },
      async (world, taskQueue) => {
        const result = await refreshOne(taskQueue, { accountId: 'acct-flaky', trigger: 'api' });
        expect(result).toEqual({ accountId: 'acct-flaky', outcome: 'failed', errorCode: 'HTTP_503' });
        expect(world.refreshCalls).toHaveLength(REFRESH_RETRY.maximumAttempts!);
        // Exponential backoff between the 6 attempts: 2 + 6 + 18 + 54 + 162 s of server time.
        expect(await workflowDurationMs(testEnv, `refresh-one-${taskQueue}`)).toBeGreaterThanOrEqual(242_000);
        expect(world.failures).toEqual([{ accountId: 'acct-flaky', errorCode: 'HTTP_503' }]);
        expect(world.reauthMarks).toEqual([]);
      },
    );
  });

  describe('paths that start a notification delivery child', () => {
    // The Java time-skipping server stops skipping time for good once an ABANDON child has completed
    // (seen with temporal-test-server 1.40): each of these tests gets its own server, started after the
    // rest of the file has used the shared one.
    let sharedEnv: TestWorkflowEnvironment;
    beforeEach(async () => {
      sharedEnv = testEnv;
      testEnv = await createTimeSkippingEnv();
    });
    afterEach(async () => {
      await testEnv.teardown();
      testEnv = sharedEnv;
    });

    it('does not retry a revoked grant: marks reauth_required once and delivers the notification', async () => {
      await withWorld(
        {
          refresh: () => {
            throw platformFailure('auth_revoked', 'TT_invalid_grant');
          },
        },
        async (world, taskQueue) => {
          const result = await refreshOne(taskQueue, {
            accountId: 'acct-revoked',
            trigger: 'jit',
            onlyIfExpiresWithinMinutes: 10,
          });
          expect(result).toEqual({
            accountId: 'acct-revoked',
            outcome: 'reauth_required',
            errorCode: 'TT_invalid_grant',
          });
          expect(world.refreshCalls).toHaveLength(1);
          expect(world.reauthMarks).toEqual([{ accountId: 'acct-revoked', errorCode: 'TT_invalid_grant' }]);
          expect(world.failures).toEqual([]);
          // The delivery child must finish inside this worker's life: a workflow left with a pending task on a
          // dead queue would stop the server from skipping time for the tests that follow.
          await childResult('reauth-acct-revoked');
          expect(world.deliveries).toEqual(['reauth-acct-revoked']);
        },
      );
    });

    it('reports a token that died during the retries as expired and delivers its notification', async () => {
      await withWorld(
        {
          failureOutcome: 'expired',
          refresh: () => {
            throw platformFailure('transient', 'TIMEOUT');
          },
        },
        async (world, taskQueue) => {
          const result = await refreshOne(taskQueue, { accountId: 'acct-dying', trigger: 'cli' });
          expect(result.outcome).toBe('expired');
          await childResult('expired-acct-dying');
          expect(world.deliveries).toEqual(['expired-acct-dying']);
        },
      );
    });
  });
});

async function workflowDurationMs(env: TestWorkflowEnvironment, workflowId: string): Promise<number> {
  const { startTime, closeTime } = await env.client.workflow.getHandle(workflowId).describe();
  return closeTime!.getTime() - startTime.getTime();
}

async function countHistoryEvents(
  env: TestWorkflowEnvironment,
  workflowId: string,
  attribute: string,
): Promise<number> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((event) => (event as Record<string, unknown>)[attribute] != null)
    .length;
}

/** Statuses of every run of a workflow chain, following continue-as-new from the first run. */
async function listRunStatuses(env: TestWorkflowEnvironment, workflowId: string): Promise<string[]> {
  const statuses: string[] = [];
  const first = await env.client.workflow.getHandle(workflowId).describe();
  let runId: string | undefined = first.runId;
  // describe() of the id gives the latest run; walk back through firstExecutionRunId-linked runs via history.
  const latest = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const started = latest.events?.[0]?.workflowExecutionStartedEventAttributes;
  runId = started?.firstExecutionRunId ?? undefined;
  while (runId) {
    const description = await env.client.workflow.getHandle(workflowId, runId).describe();
    statuses.push(description.status.name);
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const last = history.events?.[history.events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return statuses;
}
