import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './workflow-bundle';

export interface CreateWorkerInput {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: object;
  /** A prebuilt bundle (workflow-bundle.ts; tests bundle once per run); otherwise bundled in this process. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  shutdownGraceSeconds?: number;
}

export async function createTemporalWorker(input: CreateWorkerInput): Promise<Worker> {
  return Worker.create({
    connection: input.connection,
    namespace: input.namespace,
    taskQueue: input.taskQueue,
    activities: input.activities,
    ...(input.workflowBundle ? { workflowBundle: input.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    maxConcurrentActivityTaskExecutions: input.maxConcurrentActivityTaskExecutions,
    maxConcurrentWorkflowTaskExecutions: input.maxConcurrentWorkflowTaskExecutions,
    // The SDK default is 0: running activities would be cancelled at once on SIGTERM.
    shutdownGraceTime: `${input.shutdownGraceSeconds ?? 30}s`,
  });
}
