import { ActivityFailure, condition, continueAsNew, proxyActivities, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { DueAccount, SyncActivities, SyncBatchItemResult } from '../activities/sync';
import {
  PLATFORM_SEARCH_ATTRIBUTE,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  progressQuery,
  type SyncAccountResult,
  type SyncAllAccountsInput,
  type SyncAllAccountsResult,
  type SyncFleetContinuation,
  type Platform,
  type SyncFleetProgress,
} from './shared';
import { syncOneAccount } from './sync-account-steps';
import { DispatchPacer } from './sync-pacer';

const { getSyncSettings, listAccountsDueForSync } = proxyActivities<SyncActivities>({
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

/**
 * Accounts per first-attempt activity. Measured on the dev server (2 cores, Instagram at 50 ms): one
 * activity per account spent most of the run in Temporal's per-task cost (~70 accounts/s against ~170 in
 * plain Node); five per activity cuts the tasks and history events five-fold.
 */
const DEFAULT_BATCH_SIZE = 5;
const MAX_BATCH_SIZE = 20;
const DEFAULT_PAGE_SIZE = 200;
/**
 * History per account: ~0.8 events in batches of 5 (Instagram bench: 1,611 events for 2,000 accounts), up to
 * ~6 for a paced platform whose batches shrink to one (activity events, workflow tasks, pacing timers):
 * 1,000 accounts stay under ~6,000 events, far from the 51,200 limit.
 */
const DEFAULT_ACCOUNTS_PER_RUN = 1_000;
/** Pending activities per workflow must stay in the hundreds (stack-notes.md). */
const MAX_CONCURRENCY = 300;
const MAX_FAILURES_KEPT = 50;

/**
 * The fleet run: pages through active accounts not synced for minAgeHours and syncs each once, with bounded
 * concurrency and budget-paced dispatch, as activities (not child workflows: the dev server runs tens of
 * workflows a second but hundreds of activities). Continues as new every maxAccountsPerRun accounts (or when
 * Temporal suggests it) with its cursor and counters, so progress carries over and history stays bounded.
 */
export async function syncAllAccountsWorkflow(input: SyncAllAccountsInput = {}): Promise<SyncAllAccountsResult> {
  const settings = await getSyncSettings();
  const carried = input.continuation ?? startFresh(input.minAgeHours ?? settings.minAgeHours);
  const concurrency = clamp(input.concurrency ?? settings.concurrency, 1, MAX_CONCURRENCY);
  const pageSize = clamp(input.pageSize ?? DEFAULT_PAGE_SIZE, 1, 1_000);
  const accountsPerRun = Math.max(input.maxAccountsPerRun ?? DEFAULT_ACCOUNTS_PER_RUN, pageSize);
  const batchSize = clamp(input.batchSize ?? DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE);
  const pacer = new DispatchPacer({ budgets: settings.budgets, minSpacingMs: settings.minSpacingMs, observed: carried.pacingStats }, sleep);
  const state = { ...carried, counters: { ...carried.counters }, failures: [...carried.failures] };
  let inFlight = 0;
  let allFound = false;

  setHandler(progressQuery, (): SyncFleetProgress => ({
    ...state.counters,
    inFlight,
    rateLimitedUntil: pacer.rateLimitedUntil(),
    startedAt: state.startedAt,
    platform: input.platform ?? null,
    runs: state.runsBefore + 1,
    allFound,
  }));
  if (!input.continuation) tagMissingSearchAttributes(input);

  const record = (result: SyncAccountResult) => {
    recordResult(state, result);
    inFlight--;
  };
  const followUp = (account: DueAccount, first: SyncBatchItemResult) =>
    syncOneAccount({
      accountId: account.id,
      platform: account.platform,
      dueBefore: state.dueBefore,
      waitWhenBusy: false,
      first,
      beforeRetry: (platform) => pacer.waitTurn(platform ?? account.platform),
      onPlatformPaused: (platform, ms) => pacer.pause(platform, ms),
      onCalls: (platform, calls) => pacer.observe(platform, calls),
    }).then(record);
  const dispatch = (batch: DueAccount[]) => {
    inFlight += batch.length;
    void firstAttempts(batch, state.dueBefore).then((results) => batch.forEach((account, i) => void followUp(account, results[i])));
  };

  // One queue and one dispatcher per platform: a TikTok account waiting for its budget never holds up the
  // Instagram accounts behind it (mixed fleets would otherwise run at TikTok's pace).
  const queues: Record<Platform, DueAccount[]> = { instagram: [], tiktok: [] };
  let pagingDone = false;
  const dispatcher = async (platform: Platform) => {
    for (;;) {
      await condition(() => queues[platform].length > 0 || pagingDone);
      if (queues[platform].length === 0) return;
      await condition(() => inFlight < concurrency);
      await pacer.waitTurn(platform);
      const batch = [queues[platform].shift()!];
      while (batch.length < batchSize && queues[platform].length > 0 && inFlight + batch.length < concurrency && pacer.tryTurnNow(platform))
        batch.push(queues[platform].shift()!);
      dispatch(batch);
    }
  };
  const dispatchers = Promise.all([dispatcher('instagram'), dispatcher('tiktok')]);

  const inScope: Platform[] = input.platform ? [input.platform] : ['instagram', 'tiktok'];
  let fetchedThisRun = 0;
  const lowWater = Math.max(1, Math.floor(pageSize / 4));
  while (!allFound && fetchedThisRun < accountsPerRun && !workflowInfo().continueAsNewSuggested) {
    // Read ahead while some platform is about to run dry; paced platforms build a backlog of at most one run.
    await condition(() => Math.min(...inScope.map((platform) => queues[platform].length)) < lowWater);
    const page = await listAccountsDueForSync({ dueBefore: state.dueBefore, after: state.cursor, limit: pageSize, platform: input.platform });
    state.counters.found += page.length;
    fetchedThisRun += page.length;
    if (page.length < pageSize) allFound = true;
    if (page.length > 0) state.cursor = page[page.length - 1].id;
    for (const account of page) queues[account.platform].push(account);
  }
  pagingDone = true;
  await dispatchers;
  // Every account read in this run finishes in it: only the cursor and the counters cross continue-as-new.
  await condition(() => inFlight === 0);
  if (!allFound) {
    await continueAsNew<typeof syncAllAccountsWorkflow>({
      ...input,
      continuation: { ...state, runsBefore: state.runsBefore + 1, pacingStats: pacer.stats() },
    });
  }
  return summarize(state);
}

/** The first attempt of each account of a batch; a batch that failed as a whole leaves each to retry alone. */
async function firstAttempts(batch: DueAccount[], dueBefore: string): Promise<SyncBatchItemResult[]> {
  try {
    const { results } = await syncAccounts({ accounts: batch.map((account) => ({ accountId: account.id, dueBefore })) });
    return results;
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    return batch.map((account) => ({ kind: 'error', accountId: account.id, errorCode: 'SYNC_BATCH_FAILED', retryable: true }));
  }
}

function startFresh(minAgeHours: number): SyncFleetContinuation {
  const now = Date.now();
  return {
    startedAt: new Date(now).toISOString(),
    dueBefore: new Date(now - minAgeHours * 3_600_000).toISOString(),
    cursor: null,
    counters: { found: 0, done: 0, succeeded: 0, failed: 0, skipped: 0, reauthRequired: 0 },
    failures: [],
    runsBefore: 0,
  };
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

/** A schedule sets TriggeredBy itself; runs started with plain JSON input get it (and Platform) here. */
function tagMissingSearchAttributes(input: SyncAllAccountsInput): void {
  const present = workflowInfo().typedSearchAttributes;
  const updates: SearchAttributeUpdatePair[] = [];
  if (!present.get(TRIGGERED_BY_SEARCH_ATTRIBUTE) && input.triggeredBy)
    updates.push({ key: TRIGGERED_BY_SEARCH_ATTRIBUTE, value: input.triggeredBy });
  if (!present.get(PLATFORM_SEARCH_ATTRIBUTE) && input.platform)
    updates.push({ key: PLATFORM_SEARCH_ATTRIBUTE, value: input.platform });
  if (updates.length > 0) upsertSearchAttributes(updates);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(Math.floor(value), min), max);
}
