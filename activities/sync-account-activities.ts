import { Context } from '@temporalio/activity';
import { createAccountSyncer, type SyncAccountDeps, type SyncRunContext } from './sync-account';
import type { PlatformFailureDetails } from './platform-failure';
import type {
  SyncAccountActivityInput,
  SyncAccountActivityResult,
  SyncAccountsBatchInput,
  SyncAccountsBatchResult,
  SyncBatchItemResult,
} from './sync-types';

/** The Temporal activity: the account syncer in an activity context (lease owner = workflow + activity id). */
export function createSyncAccountActivity(deps: SyncAccountDeps) {
  const syncAccountOnce = createAccountSyncer(deps);
  return async function syncAccount(input: SyncAccountActivityInput): Promise<SyncAccountActivityResult> {
    return syncAccountOnce(input, currentRun());
  };
}

/**
 * The fleet's batched first attempt: each account synced as by syncAccount, all at once (the fleet's
 * concurrency counts them), each with its own lease; failures become items instead of failing the batch.
 */
export function createSyncAccountsActivity(deps: SyncAccountDeps) {
  const syncAccountOnce = createAccountSyncer(deps);
  return async function syncAccounts(input: SyncAccountsBatchInput): Promise<SyncAccountsBatchResult> {
    const results = await Promise.all(
      input.accounts.map((account) =>
        syncAccountOnce(account, currentRun(account.accountId)).catch((error: unknown): SyncBatchItemResult =>
          asErrorItem(account.accountId, error),
        ),
      ),
    );
    return { results };
  };
}

/** The running activity as the syncer sees it; a batch gives each account a lease owner of its own. */
function currentRun(accountId?: string): SyncRunContext {
  const info = Context.current().info;
  const workflowId = info.workflowExecution?.workflowId ?? 'standalone';
  const owner = `${workflowId}/${info.activityId}`;
  return {
    owner: accountId ? `${owner}/${accountId}` : owner,
    workflowId,
    heartbeat: (stage) => Context.current().heartbeat(stage),
  };
}

function asErrorItem(accountId: string, error: unknown): SyncBatchItemResult {
  const failure = error as { nonRetryable?: boolean; details?: unknown[]; type?: string; name?: string };
  const details = failure.details?.[0] as Partial<PlatformFailureDetails> | undefined;
  return {
    kind: 'error',
    accountId,
    // As the workflow reads a failed syncAccount: the code in the details, else the failure type.
    errorCode: details?.code ?? failure.type ?? failure.name ?? 'SYNC_FAILED',
    retryable: !failure.nonRetryable,
  };
}
