import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import {
  makeSyncAllAccountsWorkflowId,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  type SyncAllAccountsResult,
} from '../../../workflows/contract';
import { captureTail, peakRssMb, spawnTypeScript, stopChild } from './child-process';
import { syncAllAccountsWorkflow } from '../../../workflows';

export interface DurableOutcome {
  summary: SyncAllAccountsResult;
  wallMs: number;
  peakRssMb: number | null;
  workflowRuns: number;
  historyEvents: number;
}

/**
 * The real stack: `src/start-worker.ts` in its own process (the production composition root) against the
 * dev server; one syncAllAccountsWorkflow started like the CLI would, timed from start to result.
 */
export async function runDurable(
  client: Client,
  env: Record<string, string>,
  taskQueue: string,
): Promise<DurableOutcome> {
  const worker = spawnTypeScript('src/start-worker.ts', env);
  const tail = captureTail(worker);
  try {
    await waitForPollers(client, taskQueue, worker, tail);
    const startedAt = Date.now();
    const summary = await client.workflow.execute(syncAllAccountsWorkflow, {
      taskQueue,
      workflowId: makeSyncAllAccountsWorkflowId(`bench-${startedAt}`),
      args: [{ triggeredBy: 'cli' }],
      typedSearchAttributes: [{ key: TRIGGERED_BY_SEARCH_ATTRIBUTE, value: 'cli' }],
    });
    const wallMs = Date.now() - startedAt;
    const peak = peakRssMb(worker.pid);
    const { runs, events } = await countHistory(client);
    return { summary, wallMs, peakRssMb: peak, workflowRuns: runs, historyEvents: events };
  } finally {
    await stopChild(worker);
  }
}

/** The worker is ready when it polls both the workflow and the activity task queue. */
async function waitForPollers(
  client: Client,
  taskQueue: string,
  worker: ReturnType<typeof spawnTypeScript>,
  tail: () => string,
): Promise<void> {
  const types = [
    temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  ];
  for (let i = 0; i < 600; i++) {
    if (worker.exitCode !== null) throw new Error(`worker exited during start-up:\n${tail()}`);
    const polled = await Promise.all(
      types.map(async (taskQueueType) => {
        const reply = await client.workflowService.describeTaskQueue({
          namespace: client.options.namespace,
          taskQueue: { name: taskQueue },
          taskQueueType,
        });
        return (reply.pollers ?? []).length > 0;
      }),
    );
    if (polled.every(Boolean)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`worker not polling after 120 s:\n${tail()}`);
}

/** Every run on this (fresh) dev server: the fleet's continue-as-new chain and anything it started. */
async function countHistory(client: Client): Promise<{ runs: number; events: number }> {
  let runs = 0;
  let events = 0;
  for await (const execution of client.workflow.list()) {
    runs++;
    events += execution.historyLength;
  }
  return { runs, events };
}
