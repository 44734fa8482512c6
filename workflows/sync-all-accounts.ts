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
import type { SyncBatchItemResult } from '../activities/sync';
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
 * the regular activities to 1.17 with queries answered at once.
 */
const { syncAccounts } = proxyActivities<Pick<Activities, 'syncAccounts'>>({
  // Its accounts run side by side: as long as one account's sync.
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: SYNC_BATCH_RETRY,
});

/**
 * Accounts per first-attempt activity. Measured on the dev server (2 cores, 2,000 Instagram accounts at
 * 50 ms, durable against plain Node in one run): one per activity spent most of the run in Temporal's
 * per-task cost (~70 accounts/s against ~170); 5 per activity gave a time ratio of 1.39, 10 gave 1.17, 20
 * 1.23 (within noise of 10, and a slow account holds twice the slots until its batch returns).
 */
const DEFAULT_BATCH_SIZE = 10;
const MAX_BATCH_SIZE = 20;
const DEFAULT_PAGE_SIZE = 200;
/**
 * History per account: ~0.8 events in batches of 5 (Instagram bench: 1,611 events for 2,000 accounts), up to
 * ~3 for a paced platform whose batches are small (TikTok bench: 5,121 for 2,000): 1,000 accounts a run stay
 * far from the 51,200-event limit.
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
  private inFlight = 0;
  private pagingDone = false;
  private allFound = false;

  constructor(private readonly options: FleetRunOptions) {}

  /** Resolves when every account read by this run is done; `allFound`: no page is left for a next run. */
  async run(): Promise<{ allFound: boolean }> {
    const dispatchers = Promise.all([this.dispatchPlatform('instagram'), this.dispatchPlatform('tiktok')]);
    await this.readPages();
    this.pagingDone = true;
    await dispatchers;
    await condition(() => this.inFlight === 0);
    return { allFound: this.allFound };
  }

  progress(): SyncFleetProgress {
    const { state, pacer, platform } = this.options;
    return {
      ...state.counters,
      inFlight: this.inFlight,
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
      await condition(() => queue.length > 0 || this.pagingDone);
      if (queue.length === 0) return;
      await condition(() => this.inFlight < this.options.concurrency);
      await this.options.pacer.waitTurn(platform);
      this.dispatch(this.takeBatch(platform));
    }
  }

  /** The account whose turn came, plus those whose turn is also due now, up to the batch size and the slots. */
  private takeBatch(platform: Platform): DueAccount[] {
    const queue = this.queues[platform];
    const batch = [queue.shift()!];
    const { batchSize, concurrency, pacer } = this.options;
    while (
      batch.length < batchSize &&
      queue.length > 0 &&
      this.inFlight + batch.length < concurrency &&
      pacer.tryTurnNow(platform)
    )
      batch.push(queue.shift()!);
    return batch;
  }

  private dispatch(batch: DueAccount[]): void {
    this.inFlight += batch.length;
    void firstAttempts(batch, this.options.state.dueBefore).then((results) =>
      batch.forEach((account, i) => this.settle(account, results[i])),
    );
  }

  /** Most first attempts are final (synced, skipped): recorded at once; the others go on in the loop. */
  private settle(account: DueAccount, first: SyncBatchItemResult): void {
    const settled = first.kind === 'error' ? null : settledOutcome(first, account.id, false);
    if (!settled) {
      void this.followUp(account, first);
      return;
    }
    if (first.kind === 'synced') this.options.pacer.observe(first.platform, callsOf(first));
    recordResult(this.options.state, { ...settled, platform: settled.platform ?? account.platform });
    this.inFlight--;
  }

  /** The rest of one account's sync after its batched first attempt: retries, waits, refresh, re-auth. */
  private async followUp(account: DueAccount, first: SyncBatchItemResult): Promise<void> {
    const { pacer, state } = this.options;
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
  }
}

/** The first attempt of each account of a batch; a batch that failed as a whole leaves each to retry alone. */
async function firstAttempts(batch: DueAccount[], dueBefore: string): Promise<SyncBatchItemResult[]> {
  try {
    const { results } = await syncAccounts({
      accounts: batch.map((account) => ({ accountId: account.id, dueBefore })),
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
