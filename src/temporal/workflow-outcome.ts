import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { progressQuery } from '../../workflows/contract';

/** A progress query waits for a worker; an API answer must not (the status is still useful without it). */
const PROGRESS_QUERY_TIMEOUT_MS = 2000;

export interface WorkflowError {
  code: string;
  message: string;
}

/** What a run has to show for itself: progress while it runs, then its result or why it has none. */
export interface WorkflowOutcome {
  progress: unknown;
  result: unknown;
  error: WorkflowError | null;
}

export async function readOutcome(
  client: Client,
  handle: WorkflowHandle,
  status: string,
): Promise<WorkflowOutcome> {
  if (status === 'RUNNING')
    return { progress: await queryProgress(client, handle), result: null, error: null };
  if (status === 'COMPLETED') return { progress: null, result: await handle.result(), error: null };
  if (status === 'FAILED') return { progress: null, result: null, error: await readFailure(handle) };
  return { progress: null, result: null, error: CLOSED_WITHOUT_RESULT[status] ?? null };
}

const CLOSED_WITHOUT_RESULT: Record<string, WorkflowError> = {
  TERMINATED: { code: 'WORKFLOW_TERMINATED', message: 'The workflow was terminated by an operator.' },
  CANCELLED: { code: 'WORKFLOW_CANCELLED', message: 'The workflow was cancelled.' },
  TIMED_OUT: { code: 'WORKFLOW_TIMED_OUT', message: 'The workflow timed out.' },
};

async function queryProgress(client: Client, handle: WorkflowHandle): Promise<unknown> {
  try {
    return await client.connection.withDeadline(Date.now() + PROGRESS_QUERY_TIMEOUT_MS, () =>
      handle.query(progressQuery),
    );
  } catch {
    return null; // no worker answered in time, or the workflow closed meanwhile: the status still stands
  }
}

/**
 * Code + message of the failure's root application failure. Workflows and activities build these messages
 * from ids and platform codes only (never tokens), so they are safe to show; anything else gets a generic one.
 */
async function readFailure(handle: WorkflowHandle): Promise<WorkflowError> {
  try {
    await handle.result();
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      const root = rootFailure(error.cause);
      if (root instanceof ApplicationFailure)
        return { code: root.type ?? 'WORKFLOW_FAILED', message: root.message.slice(0, 300) };
    }
  }
  return { code: 'WORKFLOW_FAILED', message: 'The workflow failed.' };
}

function rootFailure(error: Error | undefined): Error | undefined {
  let current = error;
  while (
    current instanceof TemporalFailure &&
    current.cause instanceof Error &&
    !(current instanceof ApplicationFailure)
  ) {
    current = current.cause;
  }
  return current;
}
