import { continueAsNew, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { SyncActivities } from '../activities/sync';
import {
  PLATFORM_SEARCH_ATTRIBUTE,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  progressQuery,
  type SyncAllAccountsInput,
  type SyncAllAccountsResult,
  type SyncFleetContinuation,
  type SyncFleetCounters,
  type SyncFleetProgress,
} from './shared';
import { tagMissingSearchAttributes } from './search-attributes';
import { FleetRun } from './sync-fleet-run';
import { DispatchPacer } from './sync-pacer';

const { getSyncSettings } = proxyActivities<SyncActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * Accounts per first-attempt activity. Measured on the dev server (2 cores, Instagram at 50 ms): one
 * activity per account spent most of the run in Temporal's per-task cost (~70 accounts/s against ~170 in
 * plain Node); five per activity cuts the tasks and history events five-fold (~130 accounts/s).
 */
const DEFAULT_BATCH_SIZE = 5;
const MAX_BATCH_SIZE = 20;
const DEFAULT_PAGE_SIZE = 200;
/**
 * History per account: ~0.8 events in batches of 5 (Instagram bench: 1,611 events for 2,000 accounts), up to
 * ~3 for a paced platform whose batches are small (TikTok bench: 5,121 for 2,000): 1,000 accounts a run stay
 * far from the 51,200-event limit.
 */
const DEFAULT_ACCOUNTS_PER_RUN = 1_000;
/** Pending activities per workflow must stay in the hundreds (stack-notes.md). */
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
