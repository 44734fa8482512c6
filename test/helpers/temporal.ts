import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { getIntegrationEnv } from './integration-env';

export interface TestTemporal {
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

/** A client and a worker connection to the run's dev server. */
export async function connectToDevServer(namespace = 'default'): Promise<TestTemporal> {
  const { temporalAddress } = getIntegrationEnv();
  const connection = await Connection.connect({ address: temporalAddress });
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  return {
    client: new Client({ connection, namespace }),
    nativeConnection,
    close: async () => {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/** A task queue no other test file uses, so workers never steal each other's tasks. */
export function uniqueTaskQueue(label: string): string {
  return `test-${label}-${randomUUID().slice(0, 8)}`;
}

/** A worker on the run's prebuilt bundle of workflows/index.ts. */
export async function createTestWorker(
  options: Omit<WorkerOptions, 'workflowBundle' | 'workflowsPath'> & { workflowsPath?: string },
): Promise<Worker> {
  const { workflowBundlePath } = getIntegrationEnv();
  const { workflowsPath, ...rest } = options;
  return Worker.create({
    ...(workflowsPath ? { workflowsPath } : { workflowBundle: { codePath: workflowBundlePath } }),
    shutdownGraceTime: '2s',
    ...rest,
  });
}

export interface DevServerWorkerOptions {
  taskQueue: string;
  activities: object;
  namespace?: string;
}

/**
 * A client on the run's dev server and a running worker (the run's bundle) polling `taskQueue`. close() shuts
 * the worker down, waits until its running tasks are done, then closes the connections.
 */
export async function startDevServerWorker(options: DevServerWorkerOptions): Promise<TestTemporal> {
  const namespace = options.namespace ?? 'default';
  const temporal = await connectToDevServer(namespace);
  let worker: Worker;
  try {
    worker = await createTestWorker({
      connection: temporal.nativeConnection,
      namespace,
      taskQueue: options.taskQueue,
      activities: options.activities,
    });
  } catch (error) {
    await temporal.close();
    throw error;
  }
  const running = worker.run();
  return {
    ...temporal,
    close: async () => {
      worker.shutdown();
      try {
        await running;
      } finally {
        await temporal.close();
      }
    },
  };
}

/**
 * The Java time-skipping test server (timers fire instantly when no workflow task is pending), from the
 * bootstrap's toolchain; falls back to the SDK's download on machines with internet.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const { testServerPath } = getIntegrationEnv();
  return TestWorkflowEnvironment.createTimeSkipping(
    testServerPath ? { server: { executable: { type: 'existing-path', path: testServerPath } } } : undefined,
  );
}
