import { WorkflowFailedError, WorkflowIdConflictPolicy, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import {
  makeSyncAccountWorkflowId,
  progressQuery,
  SYNC_ACCOUNT_FAILED_TYPE,
  type SyncAllAccountsInput,
  type SyncAllAccountsResult,
  type SyncFleetProgress,
  PLATFORM_FAILURE_TYPES,
} from '../../workflows/contract';
import { SEARCH_ATTRIBUTES } from '../../src/devtools/dev/temporal-dev-server';
import { createTestWorker, createTimeSkippingEnv, uniqueTaskQueue } from '../helpers/temporal';
import type { DueAccount } from '../../src/accounts/store';
import type { SyncAttemptResult } from '../../src/sync/account-syncer';
import {
  createFakeSyncWorld,
  makeAccounts,
  syncedResult,
  tiktokBudget,
  type FakeSyncWorld,
  type FakeSyncWorldOptions,
  type SyncCall,
} from './fake-sync-activities';
import { syncAccountWorkflow, syncAllAccountsWorkflow } from '../../workflows';

const EventType = temporal.api.enums.v1.EventType;

jest.setTimeout(120_000);

describe('sync workflows on the time-skipping server (fake activities)', () => {
  let testEnv: TestWorkflowEnvironment;

  beforeAll(async () => {
    testEnv = await createTimeSkippingEnv();
    // The sync workflows tag themselves (AccountId, Platform, TriggeredBy); the test server must know them.
    const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    await testEnv.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, keyword])),
    });
  });
  afterAll(() => testEnv?.teardown());

  async function withWorker<T>(world: FakeSyncWorld, run: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = uniqueTaskQueue('sync-ts');
    const worker: Worker = await createTestWorker({
      connection: testEnv.nativeConnection,
      taskQueue,
      activities: world.activities,
    });
    return worker.runUntil(run(taskQueue));
  }

  type FleetHandle = WorkflowHandle<(input: SyncAllAccountsInput) => Promise<SyncAllAccountsResult>>;

  /**
   * Runs a fleet to completion on a fresh worker. `whileRunning` runs right after the start (time does not
   * skip until the result is awaited); `afterwards` runs once it completed, while the worker still answers
   * queries.
   */
  function runFleet(
    options: FakeSyncWorldOptions,
    input: SyncAllAccountsInput = {},
    hooks: {
      whileRunning?: (handle: FleetHandle) => Promise<void>;
      afterwards?: (handle: FleetHandle) => Promise<void>;
    } = {},
  ) {
    const world = createFakeSyncWorld(options);
    const workflowId = `fleet-${uniqueTaskQueue('id')}`;
    const result = withWorker(world, async (taskQueue) => {
      const handle: FleetHandle = await testEnv.client.workflow.start(syncAllAccountsWorkflow, {
        taskQueue,
        workflowId,
        args: [input],
      });
      await hooks.whileRunning?.(handle);
      const summary = await handle.result();
      await hooks.afterwards?.(handle);
      return summary;
    });
    return { world, workflowId, result };
  }

  async function historyEvents(workflowId: string, runId?: string) {
    const history = await testEnv.client.workflow.getHandle(workflowId, runId).fetchHistory();
    return history.events ?? [];
  }

  it('paces a capped platform with durable timers at the budget rate, without holding up an uncapped one', async () => {
    const tiktok = makeAccounts('tiktok', 12);
    const instagram = makeAccounts('instagram', 12);
    const { world, workflowId, result } = runFleet({
      accounts: [...tiktok, ...instagram],
      // 120 video/list calls a minute at 2 per account: ~60 accounts a minute (58 with the 3 % headroom).
      settings: { budgets: { tiktok: tiktokBudget(120, 120), instagram: null }, concurrency: 50 },
    });
    const summary = await result;
    expect(summary).toMatchObject({ found: 24, done: 24, succeeded: 24, failed: 0, runs: 1 });

    const start = Math.min(...world.syncCalls.map((call) => call.scheduledAtMs));
    const offsets = (platform: string) =>
      world.syncCalls
        .filter((call) => call.input.accountId.startsWith(platform))
        .map((call) => call.scheduledAtMs - start)
        .sort((a, b) => a - b);
    // 60 a minute: the k-th TikTok account leaves no earlier than k seconds, less the 1 s batch window
    // (and up to a few hundred ms: `start` is when the first activity was scheduled, which lags the workflow
    // clock the pacer reads by one workflow task on a busy machine).
    const lag = 250;
    expect([offsets('tiktok').length, offsets('instagram').length]).toEqual([12, 12]);
    offsets('tiktok').forEach((offset, k) => expect(offset).toBeGreaterThanOrEqual(k * 1000 - 1000 - lag));
    expect(Math.max(...offsets('tiktok'))).toBeGreaterThanOrEqual(10_000 - lag);
    // Instagram has no cap: all of it leaves at once, while TikTok is still being paced.
    expect(Math.max(...offsets('instagram'))).toBeLessThan(2_000);
    const timers = (await historyEvents(workflowId)).filter(
      (event) => event.eventType === EventType.EVENT_TYPE_TIMER_STARTED,
    );
    // Batched: fewer timers than paced accounts, but timers there are.
    expect(timers.length).toBeGreaterThan(3);
    expect(timers.length).toBeLessThan(12);
  });

  it('paces on what accounts really cost: one media call each doubles the rate of the worst-case estimate', async () => {
    const accounts = makeAccounts('tiktok', 30);
    const { world, result } = runFleet({
      accounts,
      // video/list: 60 a minute. Worst case 2 calls an account -> 30 accounts a minute (60 s for these 30).
      settings: { budgets: { tiktok: tiktokBudget(600, 60), instagram: null }, concurrency: 50 },
      sync: (_call, account) => syncedResult(account, 1),
    });
    expect(await result).toMatchObject({ succeeded: 30 });
    const times = world.syncCalls.map((call) => call.scheduledAtMs);
    const span = Math.max(...times) - Math.min(...times);
    // Observed: 1 call an account -> converges on ~58 a minute: the 30 leave in well under the 60 s.
    expect(span).toBeLessThan(45_000);
    // ...but never faster than the budget allows at that cost (30 accounts x 1 call at 60 a minute).
    expect(span).toBeGreaterThan(25_000);
  });

  it('puts up to 40 accounts (the default batch size) in one first-attempt activity, 10 side by side; one that fails there is retried alone', async () => {
    const accounts = makeAccounts('instagram', 50);
    const flaky = accounts[3].id;
    const { world, result } = runFleet({
      accounts,
      sync: async (call, account) => {
        if (account!.id === flaky && call.callIndex === 0) throw new Error('transient');
        // Long enough for the lanes of a batch to overlap.
        await new Promise((resolve) => setTimeout(resolve, 5));
        return syncedResult(account);
      },
    });
    expect(await result).toMatchObject({ found: 50, succeeded: 50, failed: 0 });
    expect(Math.max(...world.batches.map((batch) => batch.length))).toBe(40);
    expect(Math.max(...world.batchWidths)).toBe(10);
    expect(world.batches.flat().sort()).toEqual(accounts.map((account) => account.id));
    expect(world.syncCalls.filter((call) => call.input.accountId === flaky).map((call) => call.via)).toEqual([
      'batch',
      'single',
    ]);
    expect(world.syncCalls).toHaveLength(51);
  });

  it('waits for a spent budget with a timer (no activity running), shows rateLimitedUntil, then syncs', async () => {
    const accounts = makeAccounts('tiktok', 3);
    let refusedOnce!: () => void;
    const firstRefused = new Promise<void>((resolve) => (refusedOnce = resolve));
    let seen: SyncFleetProgress | null = null;
    const { world, workflowId, result } = runFleet(
      {
        accounts,
        sync: (call, account) => {
          if (call.input.accountId === accounts[0].id && call.callIndex === 0) {
            refusedOnce();
            return {
              kind: 'rate_limited',
              platform: 'tiktok',
              waitMs: 45_000,
              scope: 'platform',
              reason: 'budget_spent',
              calls: { profile: 0, media: 0 },
            };
          }
          return syncedResult(account);
        },
        settings: { concurrency: 1 },
      },
      {},
      {
        whileRunning: async (handle) => {
          await firstRefused;
          seen = await pollProgress(handle, (progress) => progress.rateLimitedUntil !== null);
        },
      },
    );
    expect(await result).toMatchObject({ found: 3, succeeded: 3, failed: 0 });
    expect(seen!.inFlight).toBe(1);
    expect(Date.parse(seen!.rateLimitedUntil!)).toBeGreaterThan(Date.now() - 60_000);

    const calls = world.syncCalls.filter((call) => call.input.accountId === accounts[0].id);
    expect(calls).toHaveLength(2);
    expect(calls[1].scheduledAtMs - calls[0].scheduledAtMs).toBeGreaterThanOrEqual(45_000);
    // The whole platform waited: the next account also left only after the pause.
    const next = world.syncCalls.find((call) => call.input.accountId === accounts[1].id)!;
    expect(next.scheduledAtMs - calls[0].scheduledAtMs).toBeGreaterThanOrEqual(45_000);
    // Its batch-mates were handed back unstarted, not tried against the pause: each account synced once after.
    for (const account of accounts.slice(1))
      expect(world.syncCalls.filter((call) => call.input.accountId === account.id)).toHaveLength(1);
    const events = await historyEvents(workflowId);
    const timer = events.find((event) => event.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
    expect(Number(timer?.timerStartedEventAttributes?.startToFireTimeout?.seconds)).toBeGreaterThanOrEqual(
      44,
    );
    // Each activity attempt returned at once: nothing sat in a worker slot during the 45 s.
    expect(
      events.filter((event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED),
    ).toHaveLength(0);
  });

  it('a 429 holds only its account: it resumes after its own timer without a new pacing turn, the others keep leaving, and the pacer learns its calls over both attempts', async () => {
    const accounts = makeAccounts('tiktok', 6);
    const throttled = accounts[0].id;
    const { world, workflowId, result } = runFleet(
      {
        accounts,
        // 60 accounts a minute at the worst case: one dispatch a second.
        settings: { budgets: { tiktok: tiktokBudget(120, 120), instagram: null }, concurrency: 50 },
        sync: (call, account) => {
          if (account!.id !== throttled) return syncedResult(account);
          // First attempt: profile read, its video/list call refused (429): video/list paused for 20 s.
          if (call.callIndex === 0)
            return {
              kind: 'rate_limited',
              platform: 'tiktok',
              waitMs: 20_000,
              scope: 'endpoint',
              reason: 'platform_rate_limited',
              calls: { profile: 1, media: 1 },
            };
          // Resumed: no profile call, the two video/list pages.
          return { ...syncedResult(account), calls: { profile: 0, media: 2 } };
        },
      },
      // Five accounts in the first run: its continuation carries what they cost.
      { pageSize: 5, maxAccountsPerRun: 5 },
    );
    expect(await result).toMatchObject({ found: 6, succeeded: 6, failed: 0 });
    const attempts = world.syncCalls.filter((call) => call.input.accountId === throttled);
    expect(attempts).toHaveLength(2);
    expect(attempts[1].scheduledAtMs - attempts[0].scheduledAtMs).toBeGreaterThanOrEqual(20_000);
    // Not a platform pause: the rest of the first run left at the pacing rate meanwhile (about one a second).
    const firstRunOthers = world.syncCalls.filter((call) =>
      accounts.slice(1, 5).some((account) => account.id === call.input.accountId),
    );
    expect(firstRunOthers).toHaveLength(4);
    for (const call of firstRunOthers)
      expect(call.scheduledAtMs - attempts[0].scheduledAtMs).toBeLessThan(10_000);
    // The first run handed the observed costs to the next: 5 accounts, the throttled one counted 1 + 3 calls.
    const handle = testEnv.client.workflow.getHandle(workflowId);
    const firstRunId = (await handle.describe()).raw.workflowExecutionInfo?.firstRunId ?? undefined;
    const firstRun = await historyEvents(workflowId, firstRunId);
    const continued = firstRun.find(
      (event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    );
    const payload = continued?.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads?.[0]?.data;
    const input = JSON.parse(Buffer.from(payload!).toString('utf8')) as SyncAllAccountsInput;
    expect(input.continuation?.pacingStats).toEqual({ tiktok: { accounts: 5, profile: 5, media: 11 } });
  });

  it('an account the platform keeps refusing backs off (1 s, 2 s, 4 s...) even when each pause is shorter', async () => {
    const world = createFakeSyncWorld({
      sync: (call) =>
        call.callIndex < 4
          ? {
              kind: 'rate_limited',
              platform: 'tiktok',
              waitMs: 1_000,
              scope: 'endpoint',
              reason: 'platform_rate_limited',
              calls: { profile: call.callIndex === 0 ? 1 : 0, media: 1 },
            }
          : { ...syncedResult({ id: 'acc-429', platform: 'tiktok' }), calls: { profile: 0, media: 2 } },
    });
    const result = await withWorker(world, (taskQueue) =>
      testEnv.client.workflow.execute(syncAccountWorkflow, {
        taskQueue,
        workflowId: makeSyncAccountWorkflowId(`backoff-${taskQueue}`),
        args: [{ accountId: 'acc-429' }],
      }),
    );
    expect(result).toMatchObject({ outcome: 'synced' });
    const times = world.syncCalls.map((call) => call.scheduledAtMs);
    const gaps = times.slice(1).map((time, i) => time - times[i]);
    expect(gaps).toHaveLength(4);
    [1_000, 2_000, 4_000, 8_000].forEach((least, i) => expect(gaps[i]).toBeGreaterThanOrEqual(least));
  });

  it('continues as new with its cursor and counters, so progress carries over and every account is synced once', async () => {
    const accounts = makeAccounts('instagram', 25);
    let lastRunProgress: SyncFleetProgress | null = null;
    const { world, workflowId, result } = runFleet(
      {
        accounts,
        sync: (call, account) =>
          account!.id.endsWith('3')
            ? { kind: 'skipped', platform: 'instagram', reason: 'recently_synced' }
            : account!.id.endsWith('7')
              ? { kind: 'auth_revoked', platform: 'instagram', errorCode: 'IG_190_460' }
              : syncedResult(account),
      },
      { pageSize: 5, maxAccountsPerRun: 10 },
      {
        afterwards: async (handle) =>
          void (lastRunProgress = (await handle.query(progressQuery)) as SyncFleetProgress),
      },
    );
    const summary = await result;
    // ids ...03, ...13, ...23 skipped; ...07, ...17 revoked.
    expect(summary).toMatchObject({
      found: 25,
      done: 25,
      succeeded: 20,
      skipped: 3,
      reauthRequired: 2,
      failed: 0,
      runs: 3,
    });
    expect(new Set(world.syncCalls.map((call) => call.input.accountId)).size).toBe(25);
    expect(world.syncCalls).toHaveLength(25);
    expect(world.reauthMarks.map((mark) => mark.accountId).sort()).toEqual(
      accounts.filter((a) => a.id.endsWith('7')).map((a) => a.id),
    );

    // The first run ended by continuing as new and handed over its counters and cursor.
    const handle = testEnv.client.workflow.getHandle(workflowId);
    const firstRunId = (await handle.describe()).raw.workflowExecutionInfo?.firstRunId ?? undefined;
    const firstRun = await historyEvents(workflowId, firstRunId);
    const last = firstRun[firstRun.length - 1];
    expect(last.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    // The last run's progress counts the accounts of all runs.
    expect(lastRunProgress).toMatchObject({ found: 25, done: 25, runs: 3, inFlight: 0, allFound: true });
    // Freshness is checked once, by the last run, naming the fleet run by its first run id.
    expect(world.freshnessChecks).toEqual([{ fleetWorkflowId: workflowId, fleetRunId: firstRunId }]);
  });

  it('starting a sync that is already running returns the running one', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const firstCall = new Promise<void>((resolve) => (started = resolve));
    const world = createFakeSyncWorld({
      sync: async (_call, _account) => {
        started();
        await gate;
        return syncedResult({ id: 'acc-1', platform: 'tiktok' });
      },
    });
    await withWorker(world, async (taskQueue) => {
      const workflowId = makeSyncAccountWorkflowId(`dedupe-${taskQueue}`);
      const options = {
        taskQueue,
        workflowId,
        args: [{ accountId: 'acc-1', triggeredBy: 'api' }] as Parameters<typeof syncAccountWorkflow>,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      };
      const first = await testEnv.client.workflow.start(syncAccountWorkflow, options);
      await firstCall;
      const second = await testEnv.client.workflow.start(syncAccountWorkflow, options);
      expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
      release();
      expect(await first.result()).toMatchObject({ outcome: 'synced', platform: 'tiktok' });
    });
    expect(world.syncCalls).toHaveLength(1);
  });

  it('an on-demand sync waits for the sync that holds the account; the fleet skips it', async () => {
    const accounts = makeAccounts('tiktok', 3);
    const busyFirstTwice = (call: SyncCall, account: DueAccount | undefined): SyncAttemptResult =>
      call.callIndex < 2 ? { kind: 'busy', platform: 'tiktok' } : syncedResult(account);

    const onDemand = createFakeSyncWorld({ accounts, sync: busyFirstTwice });
    const result = await withWorker(onDemand, (taskQueue) =>
      testEnv.client.workflow.execute(syncAccountWorkflow, {
        taskQueue,
        workflowId: makeSyncAccountWorkflowId(`busy-${taskQueue}`),
        args: [{ accountId: accounts[0].id }],
      }),
    );
    expect(result).toMatchObject({ outcome: 'synced' });
    expect(onDemand.syncCalls).toHaveLength(3);

    const fleet = runFleet({
      accounts,
      sync: (call, account) =>
        account!.id === accounts[1].id ? busyFirstTwice(call, account) : syncedResult(account),
    });
    expect(await fleet.result).toMatchObject({ found: 3, succeeded: 2, skipped: 1 });
    expect(fleet.world.syncCalls.filter((call) => call.input.accountId === accounts[1].id)).toHaveLength(1);
  });

  it('a failed on-demand sync fails its workflow with the error code (filterable in the Web UI)', async () => {
    const world = createFakeSyncWorld({
      sync: () => {
        // Shaped like activities/platform-failure.ts's mapping of an invalid_request PlatformError.
        throw ApplicationFailure.create({
          type: PLATFORM_FAILURE_TYPES.invalid_request,
          message: 'instagram GET /me: invalid_request (IG_100)',
          nonRetryable: true,
          details: [{ platform: 'instagram', kind: 'invalid_request', code: 'IG_100' }],
        });
      },
    });
    const failure = await withWorker(world, (taskQueue) =>
      testEnv.client.workflow
        .execute(syncAccountWorkflow, {
          taskQueue,
          workflowId: makeSyncAccountWorkflowId(`fails-${taskQueue}`),
          args: [{ accountId: 'acc-9' }],
        })
        .then(
          () => null,
          (error: unknown) => error,
        ),
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe(SYNC_ACCOUNT_FAILED_TYPE);
    expect(cause.details?.[0]).toMatchObject({ accountId: 'acc-9', outcome: 'failed', errorCode: 'IG_100' });
    expect(world.syncCalls).toHaveLength(1);
  });

  it('TikTok access_token_invalid: one forced refresh, then reauth_required and the owner notified', async () => {
    const accounts = makeAccounts('tiktok', 1);
    const revoked = {
      kind: 'auth_revoked' as const,
      platform: 'tiktok' as const,
      errorCode: 'TT_access_token_invalid',
    };
    const { world, result } = runFleet({ accounts, sync: () => revoked });
    expect(await result).toMatchObject({ reauthRequired: 1, succeeded: 0 });
    expect(world.refreshCalls).toEqual([{ accountId: accounts[0].id, trigger: 'jit' }]);
    expect(world.syncCalls).toHaveLength(2);
    expect(world.reauthMarks).toEqual([{ accountId: accounts[0].id, errorCode: 'TT_access_token_invalid' }]);
  });

  it('refreshes a token about to expire just in time, then syncs', async () => {
    const accounts = makeAccounts('tiktok', 1);
    const { world, result } = runFleet({
      accounts,
      sync: (call, account) =>
        call.callIndex === 0
          ? { kind: 'needs_token_refresh', platform: 'tiktok', marginMinutes: 10 }
          : syncedResult(account),
    });
    expect(await result).toMatchObject({ succeeded: 1 });
    expect(world.refreshCalls).toEqual([
      { accountId: accounts[0].id, trigger: 'jit', onlyIfExpiresWithinMinutes: 10 },
    ]);
    expect(world.syncCalls[1].input.skipTokenCheck).toBe(true);
  });

  async function pollProgress(
    handle: FleetHandle,
    until: (progress: SyncFleetProgress) => boolean,
  ): Promise<SyncFleetProgress> {
    for (let i = 0; i < 200; i++) {
      const progress = (await handle.query(progressQuery)) as SyncFleetProgress;
      if (until(progress)) return progress;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('progress never matched');
  }
});
