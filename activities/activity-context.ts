import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';

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
