import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { ManagedProcess } from './child-process';

export interface WorkerReadyInput {
  address: string;
  namespace: string;
  taskQueue: string;
  /** The schedules the worker creates at start (SCHEDULE_IDS). */
  scheduleIds: readonly string[];
  timeoutMs?: number;
}

const POLL_INTERVAL_MS = 250;
const TASK_QUEUE_TYPES = [
  temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
];

/**
 * Ready means what a newcomer will try first works: Temporal sees this very worker process (its SDK identity
 * is `<pid>@<host>`) polling both the workflow and the activity task queue, and lists every schedule. The
 * API answering is not enough: right after it, `temporal schedule describe` still said "not found" for a
 * few seconds while the worker compiled its workflow bundle.
 */
export function workerServing(input: WorkerReadyInput) {
  return async (child: ManagedProcess, exited: AbortSignal): Promise<void> => {
    const timeoutMs = input.timeoutMs ?? 180_000;
    const deadline = Date.now() + timeoutMs;
    const connection = await Connection.connect({ address: input.address });
    try {
      const client = new Client({ connection, namespace: input.namespace });
      const identity = `${child.child.pid}@${os.hostname()}`;
      for (;;) {
        if (exited.aborted) throw new Error(`${child.name} exited`);
        // A Temporal call failing now (the server busy at start) is "not yet", like an empty answer.
        const serving = await isServing(client, input, identity).catch(() => false);
        if (serving) return;
        if (Date.now() > deadline) {
          throw new Error(`${child.name} not polling ${input.taskQueue} after ${timeoutMs / 1000} s`);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      }
    } finally {
      await connection.close();
    }
  };
}

async function isServing(client: Client, input: WorkerReadyInput, identity: string): Promise<boolean> {
  return (
    (await polls(client, input.taskQueue, identity)) && (await schedulesExist(client, input.scheduleIds))
  );
}

async function polls(client: Client, taskQueue: string, identity: string): Promise<boolean> {
  const replies = await Promise.all(
    TASK_QUEUE_TYPES.map((taskQueueType) =>
      client.workflowService.describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType,
      }),
    ),
  );
  return replies.every((reply) => (reply.pollers ?? []).some((poller) => poller.identity === identity));
}

/** Listed, not only described: `temporal schedule list` reads the visibility store, which may lag a create. */
async function schedulesExist(client: Client, scheduleIds: readonly string[]): Promise<boolean> {
  const listed = new Set<string>();
  for await (const schedule of client.schedule.list()) listed.add(schedule.scheduleId);
  return scheduleIds.every((id) => listed.has(id));
}
