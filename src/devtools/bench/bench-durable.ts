import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import {
  makeSyncAllAccountsWorkflowId,
  progressQuery,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  type SyncAllAccountsResult,
  type SyncFleetProgress,
} from '../../../workflows/contract';
import { captureTail, peakRssMb, processCpuMs, spawnTypeScript, stopChild } from './child-process';
import { syncAllAccountsWorkflow } from '../../../workflows';

export interface DurableOutcome {
  summary: SyncAllAccountsResult;
  /** Set when the run was given up after `maxWallMs`: how far it got (the run itself is terminated). */
  timedOut: SyncFleetProgress | null;
  wallMs: number;
  peakRssMb: number | null;
  cpuMs: number | null;
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
  maxWallMs: number | null = null,
  nodeArgs: string[] = [],
): Promise<DurableOutcome> {
  const worker = spawnTypeScript('src/start-worker.ts', env, nodeArgs);
  const tail = captureTail(worker);
  try {
    await waitForPollers(client, taskQueue, worker, tail);
    const startedAt = Date.now();
    const handle = await client.workflow.start(syncAllAccountsWorkflow, {
      taskQueue,
      workflowId: makeSyncAllAccountsWorkflowId(`bench-${startedAt}`),
      args: [{ triggeredBy: 'cli' }],
      typedSearchAttributes: [{ key: TRIGGERED_BY_SEARCH_ATTRIBUTE, value: 'cli' }],
    });
    const finished = await resultWithin(handle.result(), maxWallMs);
    const wallMs = Date.now() - startedAt;
    let timedOut: SyncFleetProgress | null = null;
    if (!finished) {
      // The latest run of the chain answers: progress counters carry across continue-as-new.
      timedOut = (await client.workflow
        .getHandle(handle.workflowId)
        .query(progressQuery)) as SyncFleetProgress;
      await client.workflow.getHandle(handle.workflowId).terminate('benchmark wall-time limit');
    }
    const peak = peakRssMb(worker.pid);
    const cpuMs = processCpuMs(worker.pid);
    const { runs, events } = await countHistory(client);
    const summary = finished ?? partialSummary(timedOut!, wallMs);
    return { summary, timedOut, wallMs, peakRssMb: peak, cpuMs, workflowRuns: runs, historyEvents: events };
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

async function resultWithin<T>(result: Promise<T>, maxWallMs: number | null): Promise<T | null> {
  if (maxWallMs === null) return result;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), maxWallMs)));
  try {
    return await Promise.race([result, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function partialSummary(progress: SyncFleetProgress, wallMs: number): SyncAllAccountsResult {
  return {
    found: progress.found,
    done: progress.done,
    succeeded: progress.succeeded,
    failed: progress.failed,
    skipped: progress.skipped,
    reauthRequired: progress.reauthRequired,
    startedAt: progress.startedAt,
    finishedAt: new Date().toISOString(),
    durationMs: wallMs,
    accountsPerSecond: progress.done / (wallMs / 1000),
    runs: progress.runs,
    failures: [],
  };
}
