import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { SyncRun } from '../src/sync/account-syncer';

/**
 * A child of the worker's logger carrying the workflow id, activity type and attempt of the running
 * activity, so every line can be traced back to its workflow. Outside an activity (direct calls in tests)
 * it falls back to the plain logger.
 */
export function activityLogger(logger: Logger, fields: Record<string, unknown>): Logger {
  try {
    const { info } = Context.current();
    return logger.child({
      workflowId: info.workflowExecution?.workflowId,
      activity: info.activityType,
      attempt: info.attempt,
      ...fields,
    });
  } catch {
    return logger.child(fields);
  }
}

/**
 * The running activity as the account syncer sees it: the lease owner (workflow id + activity id, stable
 * across retries, so a retried attempt takes its own lease back at once) and the heartbeat. A batch gives
 * each account a lease owner of its own.
 */
export function currentSyncRun(accountId?: string): SyncRun {
  const info = Context.current().info;
  const workflowId = info.workflowExecution?.workflowId ?? 'standalone';
  const owner = `${workflowId}/${info.activityId}`;
  return {
    owner: accountId ? `${owner}/${accountId}` : owner,
    workflowId,
    heartbeat: (stage) => Context.current().heartbeat(stage),
  };
}

/** The running activity's attempt (1 for the first); 1 outside an activity (direct calls in tests, the bench). */
export function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}
