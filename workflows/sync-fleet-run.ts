import { ActivityFailure, condition, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DueAccount, SyncActivities, SyncBatchItemResult } from '../activities/sync';
import type { Platform, SyncAccountResult, SyncFleetContinuation, SyncFleetProgress } from './shared';
import { syncOneAccount } from './sync-account-steps';
import type { DispatchPacer } from './sync-pacer';

const { listAccountsDueForSync } = proxyActivities<SyncActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const { syncAccounts } = proxyActivities<SyncActivities>({
  // Its accounts run side by side: as long as one account's sync.
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  // A batch fails as a whole only when its worker dies or times out; a retry keeps its leases (same owner).
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

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
      batch.forEach((account, i) => void this.followUp(account, results[i])),
    );
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
      beforeRetry: (platform) => pacer.waitTurn(platform ?? account.platform),
      onPlatformPaused: (platform, ms) => pacer.pause(platform, ms),
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
