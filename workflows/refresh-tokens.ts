import {
  ActivityFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RefreshFleetSettings } from '../activities/tokens';
import {
  decodeFailure,
  DEPENDENCY_UNAVAILABLE_FAILURE_TYPE,
  progressQuery,
  REAUTH_FAILURE_TYPES,
  tagMissingSearchAttributes,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  type RefreshAccountOutcome,
  type RefreshAccountTokenInput,
  type RefreshAccountTokenResult,
  type RefreshExpiringTokensInput,
  type RefreshExpiringTokensResult,
  type RefreshFleetCarriedState,
  type RefreshFleetCounters,
  type RefreshFleetProgress,
} from './contract';
import { notifyAccountReauthRequired, startNotificationDeliveries } from './notify';
import { DATABASE_RETRY, REFRESH_RETRY } from './retry';

/**
 * Token refresh: one account's refresh with its failure handling (used by the fleet run, by the data sync
 * just in time, and on demand), and the nightly fleet run over every token expiring within the window.
 */

const { refreshAccountToken } = proxyActivities<Pick<Activities, 'refreshAccountToken'>>({
  // Waiting for another refresher's row lock (lock_timeout 30 s) plus one platform call (10 s timeout).
  startToCloseTimeout: '90s',
  retry: REFRESH_RETRY,
});

const { recordRefreshFailure, getRefreshFleetSettings, findAccountsDueForRefresh, countAccountsByStatus } =
  proxyActivities<
    Pick<
      Activities,
      | 'recordRefreshFailure'
      | 'getRefreshFleetSettings'
      | 'findAccountsDueForRefresh'
      | 'countAccountsByStatus'
    >
  >({ startToCloseTimeout: '1 minute', retry: DATABASE_RETRY });

/**
 * Refreshes one account's token from any workflow (fleet run, just-in-time before a sync, on demand) and
 * applies the failure handling; expected platform outcomes are returned, never thrown:
 * auth_revoked/permission_missing -> reauth_required + one notification; retries exhausted -> failure
 * counted (or `expired` + notification when the token actually died). Only cancellation is rethrown.
 */
export async function refreshAccountTokenDurably(
  input: RefreshAccountTokenInput,
): Promise<RefreshAccountTokenResult> {
  const { accountId } = input;
  try {
    const result = await refreshAccountToken(input);
    await startNotificationDeliveries(result.notificationIds);
    return withoutUndefined({
      accountId,
      outcome: result.outcome,
      errorCode: result.errorCode,
      accessExpiresAt: result.accessExpiresAt,
    });
  } catch (error) {
    if (isCancellation(error) || !(error instanceof ActivityFailure)) throw error;
    const { type, code } = decodeFailure(error);
    if (REAUTH_FAILURE_TYPES.includes(type)) {
      await notifyAccountReauthRequired(accountId, code);
      log.warn('account needs re-authorisation', { accountId, errorCode: code });
      return { accountId, outcome: 'reauth_required', errorCode: code };
    }
    // PostgreSQL stayed down through the whole retry schedule: not the account's failure, so nothing is
    // counted against it (recording needs the database anyway); the next run refreshes it.
    if (type === DEPENDENCY_UNAVAILABLE_FAILURE_TYPE) {
      log.warn('token refresh waited out its retries on an unavailable dependency', {
        accountId,
        errorCode: code,
      });
      return { accountId, outcome: 'failed', errorCode: code };
    }
    const recorded = await recordRefreshFailure({ accountId, errorCode: code, trigger: input.trigger });
    await startNotificationDeliveries(recorded.notificationIds);
    log.warn('token refresh failed', { accountId, errorCode: code, outcome: recorded.outcome });
    return { accountId, outcome: recorded.outcome, errorCode: code };
  }
}

/**
 * On-demand refresh of one account (API, admin, CLI), started with the id from
 * makeRefreshAccountTokenWorkflowId(accountId) so two requests for the same account share one run.
 */
export async function refreshAccountTokenWorkflow(
  input: RefreshAccountTokenInput,
): Promise<RefreshAccountTokenResult> {
  return refreshAccountTokenDurably(input);
}

/** 100 ids a page: a small activity result, a handful of pages per run. */
const DEFAULT_PAGE_SIZE = 100;
/**
 * About 10-15 history events per account (activity, timer, workflow tasks): 500 accounts keep a run near
 * 7,500 events, far below the 51,200-event limit, and replay after a worker restart stays cheap.
 */
const DEFAULT_ACCOUNTS_PER_RUN = 500;
const MAX_CATCH_UP_MS = 1000;
/**
 * A token refreshed (just in time by a sync, on demand, or by this run) within the hour before the run
 * started is fresh enough for a nightly run: refreshing it again would only spend a TikTok rotation.
 */
const FRESH_ENOUGH_MS = 3_600_000;
/** Pending activities per workflow should stay in the low hundreds (Temporal's guidance for one history). */
const MAX_CONCURRENCY = 200;

type ResolvedInput = Required<Omit<RefreshExpiringTokensInput, 'carried' | 'triggeredBy'>> &
  Pick<RefreshExpiringTokensInput, 'triggeredBy'>;

const OUTCOME_COUNTER: Record<RefreshAccountOutcome, keyof RefreshFleetCounters> = {
  refreshed: 'refreshed',
  skipped: 'skipped',
  not_due: 'notDue',
  reauth_required: 'reauthRequired',
  expired: 'expired',
  failed: 'failed',
};

/**
 * The fleet run: pages through active accounts whose access token expires within the window and refreshes
 * each through the serialised per-account path, with bounded concurrency and a durable timer between two
 * dispatches. Counters and the cursor survive continue-as-new, so any fleet size fits the history limits.
 */
export async function refreshExpiringTokensWorkflow(
  input: RefreshExpiringTokensInput = {},
): Promise<RefreshExpiringTokensResult> {
  const state: RefreshFleetCarriedState = input.carried ?? {
    startedAt: new Date().toISOString(),
    cutoff: '',
    asOf: '',
    cursor: null,
    counters: {
      considered: 0,
      refreshed: 0,
      skipped: 0,
      notDue: 0,
      reauthRequired: 0,
      expired: 0,
      failed: 0,
    },
    run: 1,
  };
  let inFlight = 0;
  let done = false;
  let options: ResolvedInput | null = null;
  // Registered before the first activity, so progress answers (and a CLI start is filterable) at once.
  setHandler(progressQuery, (): RefreshFleetProgress => ({
    ...state.counters,
    inFlight,
    startedAt: state.startedAt,
    cutoff: state.cutoff || null,
    run: state.run,
    windowDays: options?.windowDays ?? input.windowDays ?? null,
    concurrency: options?.concurrency ?? input.concurrency ?? null,
    done,
  }));
  tagMissingSearchAttributes([[TRIGGERED_BY_SEARCH_ATTRIBUTE, input.triggeredBy]]);
  const resolved = await resolveInput(input);
  options = resolved;

  const refreshOne = async (accountId: string): Promise<void> => {
    try {
      const result = await refreshAccountTokenDurably({
        accountId,
        trigger: 'fleet',
        onlyIfExpiresWithinMinutes: resolved.windowDays * 24 * 60,
        notRefreshedSince: new Date(Date.parse(state.asOf) - FRESH_ENOUGH_MS).toISOString(),
      });
      state.counters[OUTCOME_COUNTER[result.outcome]]++;
    } catch (error) {
      if (isCancellation(error)) throw error;
      // Only a bug gets here (the helper returns every platform outcome): count it, keep the fleet going.
      state.counters.failed++;
      log.error('account refresh crashed', { accountId, error: (error as Error).message });
    } finally {
      inFlight--;
    }
  };

  /**
   * One dispatch every `spacingMs` on average, on a schedule rather than a timer per dispatch: server timers
   * fire up to about a second late (a 20 ms timer took ~1,000 ms on the dev server), which would cap a
   * timer-per-dispatch run at ~1 account/s. Dispatches already due leave together; after a stall (all slots
   * busy) at most MAX_CATCH_UP_MS of backlog is made up at once.
   */
  let nextDispatchAt = Date.now();
  const paceDispatch = async (): Promise<void> => {
    if (resolved.spacingMs <= 0) return;
    const wait = nextDispatchAt - Date.now();
    if (wait > 0) await sleep(wait);
    nextDispatchAt = Math.max(nextDispatchAt, Date.now() - MAX_CATCH_UP_MS) + resolved.spacingMs;
  };

  let dispatchedThisRun = 0;
  for (;;) {
    const page = await findAccountsDueForRefresh({
      cutoff: state.cutoff || undefined,
      windowDays: resolved.windowDays,
      after: state.cursor,
      limit: resolved.pageSize,
    });
    state.cutoff = page.cutoff;
    state.asOf ||= page.asOf;
    for (const account of page.accounts) {
      await paceDispatch();
      await condition(() => inFlight < resolved.concurrency);
      inFlight++;
      state.counters.considered++;
      dispatchedThisRun++;
      state.cursor = { id: account.id };
      void refreshOne(account.id);
      if (dispatchedThisRun >= resolved.accountsPerRun || workflowInfo().continueAsNewSuggested) {
        // Drain first: the next run starts after the cursor, so every dispatched account must be finished.
        await condition(() => inFlight === 0);
        return continueAsNew<typeof refreshExpiringTokensWorkflow>({
          ...options,
          carried: { ...state, run: state.run + 1 },
        });
      }
    }
    if (page.accounts.length < resolved.pageSize) break;
  }
  await condition(() => inFlight === 0);
  await countAccountsByStatus();
  done = true;
  const finishedAt = new Date();
  const result: RefreshExpiringTokensResult = {
    ...state.counters,
    startedAt: state.startedAt,
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - Date.parse(state.startedAt),
    runs: state.run,
    windowDays: resolved.windowDays,
  };
  log.info('token refresh fleet run finished', { ...result });
  return result;
}

/** Per-run options win; configuration fills the rest (read once, then carried across continue-as-new). */
async function resolveInput(input: RefreshExpiringTokensInput): Promise<ResolvedInput> {
  const needsSettings =
    input.windowDays === undefined || input.concurrency === undefined || input.spacingMs === undefined;
  const settings: Partial<RefreshFleetSettings> = needsSettings ? await getRefreshFleetSettings() : {};
  return {
    windowDays: input.windowDays ?? settings.windowDays!,
    concurrency: Math.min(Math.max(1, input.concurrency ?? settings.concurrency!), MAX_CONCURRENCY),
    spacingMs: input.spacingMs ?? settings.spacingMs!,
    pageSize: input.pageSize ?? DEFAULT_PAGE_SIZE,
    accountsPerRun: input.accountsPerRun ?? DEFAULT_ACCOUNTS_PER_RUN,
    triggeredBy: input.triggeredBy,
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
