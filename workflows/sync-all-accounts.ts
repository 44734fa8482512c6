import {
  ActivityFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AttemptedBatchItem, SyncBatchItemResult } from '../activities/sync';
import type { DueAccount } from '../src/accounts/store';
import type { Platform } from '../src/platforms/types';
import {
  PLATFORM_SEARCH_ATTRIBUTE,
  progressQuery,
  tagMissingSearchAttributes,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  type SyncAccountResult,
  type SyncAllAccountsInput,
  type SyncAllAccountsResult,
  type SyncFleetContinuation,
  type SyncFleetCounters,
  type SyncFleetProgress,
} from './contract';
import { DATABASE_RETRY, SYNC_BATCH_RETRY } from './retry';
import { callsOf, settledOutcome, syncOneAccount } from './sync-account';
import { DispatchPacer } from './sync-pacer';

const { getSyncSettings, listAccountsDueForSync } = proxyActivities<
  Pick<Activities, 'getSyncSettings' | 'listAccountsDueForSync'>
>({ startToCloseTimeout: '1 minute', retry: DATABASE_RETRY });

const { checkFleetFreshness } = proxyActivities<Pick<Activities, 'checkFleetFreshness'>>({
  startToCloseTimeout: '1 minute',
  retry: DATABASE_RETRY,
});

/**
 * The batched first attempts. Regular activities, not local ones: local activities saved the task round trip
 * (2,000 Instagram accounts: time ratio to plain Node 1.22 against 1.39 with batches of 5), but a workflow
 * task stays open while any of them runs, and the fleet always has some running, so progress queries (the
 * API's status, `admin --follow`, the Web UI) waited for the task's heartbeat, every ~8 s. Batches of 10 got
 * the regular activities to 1.17 with queries answered at once (2,000 accounts; 1.37 at 10,000).
 */
const { syncAccounts } = proxyActivities<Pick<Activities, 'syncAccounts'>>({
  // A lane syncs up to ROUNDS_PER_BATCH (4) accounts one after the other, each allowed the 2 minutes of a
  // single attempt; a dead worker is still noticed within the heartbeat timeout.
  startToCloseTimeout: '8 minutes',
  heartbeatTimeout: '30 seconds',
  retry: SYNC_BATCH_RETRY,
});

/**
 * Accounts per first-attempt activity, and how many of them it syncs side by side (the slots it holds).
 * Measured on the dev server (2 cores, 10,000 Instagram accounts at 50 ms, durable against plain Node in one
 * run): batches of 10 synced all at once reached a time ratio of 1.37, with a batch's accounts taking 224 ms
 * (p50) where one account takes ~176: every slot waited for the slowest of its batch, then ~23 ms for the
 * result to reach the workflow and the next batch to start. Refilling a lane as soon as an account finishes,
 * through ROUNDS_PER_BATCH accounts per lane, pays both once per four accounts instead of once per account:
 * history 4,510 -> 1,369 events, the Temporal server's CPU 12.0 -> 8.8 s; the time ratio moved less (1.34 in
 * one run on a busier machine), the rest of the tax being the worker's own CPU on 2 shared cores.
 */
const LANE_WIDTH = 10;
const ROUNDS_PER_BATCH = 4;
const DEFAULT_BATCH_SIZE = LANE_WIDTH * ROUNDS_PER_BATCH;
const MAX_BATCH_SIZE = DEFAULT_BATCH_SIZE;
const DEFAULT_PAGE_SIZE = 200;
/**
 * History per account: ~0.14 events in batches of 40 (Instagram bench: 1,369 events for 10,000 accounts), up
 * to ~3 for a paced platform whose batches are small (TikTok bench: 5,121 for 2,000): 1,000 accounts a run
 * stay far from the 51,200-event limit.
 */
const DEFAULT_ACCOUNTS_PER_RUN = 1_000;
/** Pending activities per workflow must stay in the hundreds (Temporal's guidance for one history). */
const MAX_CONCURRENCY = 300;

/**
 * The fleet run: syncs every active account not synced for minAgeHours once, with bounded concurrency and
 * budget-paced dispatch, as activities (not child workflows: the dev server runs tens of workflows a second
 * but hundreds of activities). Continues as new every maxAccountsPerRun accounts (or when Temporal suggests
 * it) with its cursor, counters and observed call costs, so progress carries over and history stays bounded.
 */
export async function syncAllAccountsWorkflow(
  input: SyncAllAccountsInput = {},
): Promise<SyncAllAccountsResult> {
  // Answer progress (and be filterable) from the first workflow task, before any activity has returned.
  const startedAt = input.continuation?.startedAt ?? new Date().toISOString();
  setHandler(progressQuery, () => startingProgress(input, startedAt));
  tagMissingSearchAttributes([
    [TRIGGERED_BY_SEARCH_ATTRIBUTE, input.triggeredBy],
    [PLATFORM_SEARCH_ATTRIBUTE, input.platform],
  ]);
  const settings = await getSyncSettings();
  const carried = input.continuation ?? startFresh(startedAt, input.minAgeHours ?? settings.minAgeHours);
  const state: SyncFleetContinuation = {
    ...carried,
    counters: { ...carried.counters },
    failures: [...carried.failures],
  };
  const pacer = new DispatchPacer(
    { budgets: settings.budgets, minSpacingMs: settings.minSpacingMs, observed: carried.pacingStats },
    sleep,
  );
  const pageSize = clamp(input.pageSize ?? DEFAULT_PAGE_SIZE, 1, 1_000);
  const run = new FleetRun({
    state,
    pacer,
    platform: input.platform,
    concurrency: clamp(input.concurrency ?? settings.concurrency, 1, MAX_CONCURRENCY),
    pageSize,
    accountsPerRun: Math.max(input.maxAccountsPerRun ?? DEFAULT_ACCOUNTS_PER_RUN, pageSize),
    batchSize: clamp(input.batchSize ?? DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE),
  });
  setHandler(progressQuery, () => run.progress());

  const { allFound } = await run.run();
  if (!allFound) {
    await continueAsNew<typeof syncAllAccountsWorkflow>({
      ...input,
      continuation: { ...state, runsBefore: state.runsBefore + 1, pacingStats: pacer.stats() },
    });
  }
  // Freshness gauges now, and one fleet.stale_accounts event when accounts are still stale after the run.
  const { workflowId, firstExecutionRunId } = workflowInfo();
  await checkFleetFreshness({ fleetWorkflowId: workflowId, fleetRunId: firstExecutionRunId });
  return summarize(state);
}

const NO_ACCOUNTS_YET: SyncFleetCounters = {
  found: 0,
  done: 0,
  succeeded: 0,
  failed: 0,
  skipped: 0,
  reauthRequired: 0,
};

/** Progress while the run's settings are being read: the carried counters, or zeros. */
function startingProgress(input: SyncAllAccountsInput, startedAt: string): SyncFleetProgress {
  const carried = input.continuation;
  return {
    ...(carried?.counters ?? NO_ACCOUNTS_YET),
    inFlight: 0,
    rateLimitedUntil: null,
    startedAt,
    platform: input.platform ?? null,
    runs: (carried?.runsBefore ?? 0) + 1,
    allFound: false,
  };
}

function startFresh(startedAt: string, minAgeHours: number): SyncFleetContinuation {
  return {
    startedAt,
    dueBefore: new Date(Date.parse(startedAt) - minAgeHours * 3_600_000).toISOString(),
    cursor: null,
    counters: { ...NO_ACCOUNTS_YET },
    failures: [],
    runsBefore: 0,
  };
}

function summarize(state: SyncFleetContinuation): SyncAllAccountsResult {
  const finishedAt = Date.now();
  const durationMs = finishedAt - Date.parse(state.startedAt);
  return {
    ...state.counters,
    startedAt: state.startedAt,
    finishedAt: new Date(finishedAt).toISOString(),
    durationMs,
    accountsPerSecond: durationMs > 0 ? Math.round((state.counters.done / durationMs) * 1_000_000) / 1000 : 0,
    runs: state.runsBefore + 1,
    failures: state.failures,
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(Math.floor(value), min), max);
}

const MAX_FAILURES_KEPT = 50;

export interface FleetRunOptions {
  /** Carried from the previous run (or fresh); counters and cursor are updated in place. */
  state: SyncFleetContinuation;
  pacer: DispatchPacer;
  platform: Platform | undefined;
  concurrency: number;
  pageSize: number;
  /** Accounts read by this run before it hands over to the next one. */
  accountsPerRun: number;
  batchSize: number;
}

/**
 * One run of the fleet sync: reads pages of due accounts into one queue per platform (a TikTok account
 * waiting for its budget never holds up the Instagram accounts behind it), and one dispatcher per platform
 * sends them in batches, at the pacer's rate, with at most `concurrency` accounts in flight. Every account
 * read in this run finishes in it: only the cursor and the counters cross continue-as-new.
 */
export class FleetRun {
  private readonly queues: Record<Platform, DueAccount[]> = { instagram: [], tiktok: [] };
  /** Slots in use: a batch holds its width, an account in its follow-up loop one. */
  private inFlight = 0;
  /** Accounts handed to batches still running, and accounts in their follow-up loop. */
  private accountsInBatches = 0;
  private followUps = 0;
  private pagingDone = false;
  private allFound = false;

  constructor(private readonly options: FleetRunOptions) {}

  /** Resolves when every account read by this run is done; `allFound`: no page is left for a next run. */
  async run(): Promise<{ allFound: boolean }> {
    const dispatchers = Promise.all([this.dispatchPlatform('instagram'), this.dispatchPlatform('tiktok')]);
    await this.readPages();
    this.pagingDone = true;
    await dispatchers;
    await condition(() => this.inFlight === 0 && this.followUps === 0 && this.accountsInBatches === 0);
    return { allFound: this.allFound };
  }

  progress(): SyncFleetProgress {
    const { state, pacer, platform } = this.options;
    return {
      ...state.counters,
      inFlight: this.accountsInBatches + this.followUps,
      rateLimitedUntil: pacer.rateLimitedUntil(),
      startedAt: state.startedAt,
      platform: platform ?? null,
      runs: state.runsBefore + 1,
      allFound: this.allFound,
    };
  }

  private async readPages(): Promise<void> {
    const { state, pageSize, platform, accountsPerRun } = this.options;
    const inScope: Platform[] = platform ? [platform] : ['instagram', 'tiktok'];
    const lowWater = Math.max(1, Math.floor(pageSize / 4));
    let fetched = 0;
    while (!this.allFound && fetched < accountsPerRun && !workflowInfo().continueAsNewSuggested) {
      // Read ahead while some platform is about to run dry; a paced platform's backlog stays within one run.
      await condition(() => Math.min(...inScope.map((name) => this.queues[name].length)) < lowWater);
      const page = await listAccountsDueForSync({
        dueBefore: state.dueBefore,
        after: state.cursor,
        limit: pageSize,
        platform,
      });
      state.counters.found += page.length;
      fetched += page.length;
      if (page.length < pageSize) this.allFound = true;
      if (page.length > 0) state.cursor = page[page.length - 1].id;
      for (const account of page) this.queues[account.platform].push(account);
    }
  }

  private async dispatchPlatform(platform: Platform): Promise<void> {
    const queue = this.queues[platform];
    for (;;) {
      // Done once paging is and no batch is out: a batch cut short by a pause hands its rest back here.
      await condition(() => queue.length > 0 || (this.pagingDone && this.accountsInBatches === 0));
      if (queue.length === 0) return;
      await condition(() => this.inFlight < this.options.concurrency);
      await this.options.pacer.waitTurn(platform);
      this.dispatch(this.takeBatch(platform));
    }
  }

  /**
   * The account whose turn came, plus those whose turn is also due now, up to the batch size and
   * ROUNDS_PER_BATCH accounts for each slot the batch can have (a lane as wide as the free slots allow).
   */
  private takeBatch(platform: Platform): { accounts: DueAccount[]; width: number } {
    const queue = this.queues[platform];
    const { batchSize, concurrency, pacer } = this.options;
    const slots = Math.min(LANE_WIDTH, concurrency - this.inFlight);
    const limit = Math.min(batchSize, slots * ROUNDS_PER_BATCH);
    const accounts = [queue.shift()!];
    while (accounts.length < limit && queue.length > 0 && pacer.tryTurnNow(platform))
      accounts.push(queue.shift()!);
    return { accounts, width: Math.min(slots, accounts.length) };
  }

  /**
   * A batch holds `width` of the fleet's slots and syncs its accounts that many side by side, refilling each
   * slot as an account finishes, so a slot waits for Temporal's round trip once per batch rather than per
   * account, and for the slowest of a batch only at its end.
   */
  private dispatch({ accounts: batch, width }: { accounts: DueAccount[]; width: number }): void {
    this.inFlight += width;
    this.accountsInBatches += batch.length;
    void firstAttempts(batch, width, this.options.state.dueBefore).then((results) => {
      this.inFlight -= width;
      this.accountsInBatches -= batch.length;
      // Not started (the platform paused meanwhile): back to the front of the queue, in their order.
      const notStarted = batch.filter((_, i) => results[i].kind === 'not_started');
      if (notStarted.length > 0) this.queues[notStarted[0].platform].unshift(...notStarted);
      batch.forEach((account, i) => {
        const result = results[i];
        if (result.kind !== 'not_started') this.settle(account, result);
      });
    });
  }

  /** Most first attempts are final (synced, skipped): recorded at once; the others go on in the loop. */
  private settle(account: DueAccount, first: AttemptedBatchItem): void {
    const settled = first.kind === 'error' ? null : settledOutcome(first, account.id, false);
    if (!settled) {
      this.followUps++;
      void this.followUp(account, first);
      return;
    }
    if (first.kind === 'synced') this.options.pacer.observe(first.platform, callsOf(first));
    recordResult(this.options.state, { ...settled, platform: settled.platform ?? account.platform });
  }

  /**
   * The rest of one account's sync after its batched first attempt: retries, waits, refresh, re-auth. It
   * holds a slot of its own, taken when one is free (its batch gave its slots back).
   */
  private async followUp(account: DueAccount, first: AttemptedBatchItem): Promise<void> {
    const { pacer, state } = this.options;
    await condition(() => this.inFlight < this.options.concurrency);
    this.inFlight++;
    const result = await syncOneAccount({
      accountId: account.id,
      platform: account.platform,
      dueBefore: state.dueBefore,
      waitWhenBusy: false,
      first,
      beforeRetry: (platform, newTurn) =>
        newTurn
          ? pacer.waitTurn(platform ?? account.platform)
          : pacer.waitWhilePaused(platform ?? account.platform),
      onPlatformPaused: (platform, ms) => pacer.pause(platform, ms),
      onThrottled: (platform, ms) => pacer.noteThrottle(platform, ms),
      onCalls: (platform, calls) => pacer.observe(platform, calls),
    });
    recordResult(state, result);
    this.inFlight--;
    this.followUps--;
  }
}

/** The first attempt of each account of a batch; a batch that failed as a whole leaves each to retry alone. */
async function firstAttempts(
  batch: DueAccount[],
  width: number,
  dueBefore: string,
): Promise<SyncBatchItemResult[]> {
  try {
    const { results } = await syncAccounts({
      accounts: batch.map((account) => ({ accountId: account.id, dueBefore })),
      concurrency: width,
    });
    return results;
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    return batch.map((account) => ({
      kind: 'error',
      accountId: account.id,
      errorCode: 'SYNC_BATCH_FAILED',
      retryable: true,
    }));
  }
}

function recordResult(state: SyncFleetContinuation, result: SyncAccountResult): void {
  const counters = state.counters;
  counters.done++;
  if (result.outcome === 'synced') counters.succeeded++;
  else if (result.outcome === 'skipped') counters.skipped++;
  else if (result.outcome === 'reauth_required') counters.reauthRequired++;
  else {
    counters.failed++;
    if (state.failures.length < MAX_FAILURES_KEPT)
      state.failures.push({ accountId: result.accountId, errorCode: result.errorCode ?? 'SYNC_FAILED' });
  }
}
