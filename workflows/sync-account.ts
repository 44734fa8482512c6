import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import {
  ACCOUNT_ID_SEARCH_ATTRIBUTE,
  PLATFORM_SEARCH_ATTRIBUTE,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  progressQuery,
  SYNC_ACCOUNT_FAILED_TYPE,
  type SyncAccountInput,
  type SyncAccountProgress,
  type SyncAccountResult,
} from './shared';
import { tagMissingSearchAttributes } from './search-attributes';
import { syncOneAccount } from './sync-account-steps';

/**
 * One account's sync on demand (API, admin, CLI), id makeSyncAccountWorkflowId(accountId): starters use
 * workflowIdConflictPolicy USE_EXISTING, so a second start while it runs returns this run. The fleet never
 * syncs the account at the same time: both take the account's lease inside the syncAccount activity, and
 * this workflow waits (durably) while the fleet holds it.
 */
export async function syncAccountWorkflow(input: SyncAccountInput): Promise<SyncAccountResult> {
  const progress: SyncAccountProgress = {
    accountId: input.accountId,
    stage: 'starting',
    rateLimitedUntil: null,
    result: null,
  };
  setHandler(progressQuery, () => progress);
  tagMissingSearchAttributes([
    [ACCOUNT_ID_SEARCH_ATTRIBUTE, input.accountId],
    [TRIGGERED_BY_SEARCH_ATTRIBUTE, input.triggeredBy],
  ]);

  const result = await syncOneAccount({
    accountId: input.accountId,
    waitWhenBusy: true,
    onStage: (stage, rateLimitedUntil) => {
      progress.stage = stage;
      progress.rateLimitedUntil = rateLimitedUntil;
    },
    onPlatformKnown: (platform) => tagMissingSearchAttributes([[PLATFORM_SEARCH_ATTRIBUTE, platform]]),
  });
  progress.stage = 'done';
  progress.rateLimitedUntil = null;
  progress.result = result;
  // A failed sync fails the run: operators find it in the Web UI (ExecutionStatus="Failed" AND Platform=...)
  // and the API reports its code. Skipped and reauth_required are answers, not failures.
  if (result.outcome === 'failed') {
    throw ApplicationFailure.create({
      type: SYNC_ACCOUNT_FAILED_TYPE,
      message: `sync of account ${input.accountId} failed: ${result.errorCode ?? 'SYNC_FAILED'}`,
      nonRetryable: true,
      details: [result],
    });
  }
  return result;
}
