import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { progressQuery } from '../../workflows/contract';
import { CommandFailedError } from './command';
import type { FleetKind } from './fleet-kinds';
import type { ProgressReporter } from './progress-reporter';

/** A query waits for a worker to answer; a busy worker may take a moment, a missing one never answers. */
const QUERY_DEADLINE_MS = 3_000;

export interface FollowRunInput<Progress, Result> {
  client: Client;
  workflowId: string;
  kind: FleetKind<Progress, Result>;
  reporter: ProgressReporter;
  /** Time between two progress queries. */
  everyMs: number;
}

/**
 * Shows a run's progress query until the run closes, then its result. Follows continue-as-new: the handle
 * has no run id, so queries reach the latest run and `result()` waits for the last one of the chain.
 */
export async function followRun<Progress, Result>(input: FollowRunInput<Progress, Result>): Promise<Result> {
  const { client, workflowId, kind, reporter } = input;
  const handle = client.workflow.getHandle(workflowId);
  let closed = false;
  const outcome = handle.result().finally(() => {
    closed = true;
  });
  const settled = outcome.then(
    () => undefined,
    () => undefined,
  );
  try {
    while (!closed) {
      const progress = await readProgress(client, handle);
      if (progress !== null && !closed) reporter.update(kind.toView(progress as Progress));
      await Promise.race([settled, pause(input.everyMs, settled)]);
    }
    const result = (await outcome) as Result;
    reporter.update(kind.finalView(result));
    return result;
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      const cause = error.cause?.message ? `: ${error.cause.message}` : '';
      throw new CommandFailedError(`${kind.title} ${workflowId} did not complete (${error.message})${cause}`);
    }
    throw error;
  } finally {
    reporter.stop();
  }
}

async function readProgress(client: Client, handle: WorkflowHandle): Promise<unknown> {
  try {
    return await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
      handle.query(progressQuery),
    );
  } catch {
    // Between two runs of a continue-as-new chain, or no worker answering right now: try again next time.
    return null;
  }
}

function pause(ms: number, until: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void until.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
