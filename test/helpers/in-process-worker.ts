import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config';
import type { TokenCipher } from '../../src/crypto/token-cipher';
import type { User } from '../../src/db/entities';
import type { Simulator, SimulatorOptions } from '../../src/devtools/simulator';
import { insertUser } from './accounts';
import { createTestDatabase, type TestDatabase } from './database';
import { startDevServerWorker, uniqueTaskQueue } from './temporal';
import { startWorkerStack } from './stack';
import { createOpsNamespace, serviceEnv } from './processes';

/**
 * A real worker in the test process (the run's workflow bundle, every activity of activities/index.ts) over a
 * private database, the in-process simulator and a namespace of its own, so the workflows that the command
 * under test starts really run to completion.
 */
export interface OpsWorkerStack {
  namespace: string;
  taskQueue: string;
  /** What a `src/start-*.ts` process or a CLI needs in its environment to reach this stack. */
  env: Record<string, string>;
  config: Config;
  db: TestDatabase;
  simulator: Simulator;
  client: Client;
  cipher: TokenCipher;
  owner: User;
  close(): Promise<void>;
}

export async function startOpsWorkerStack(
  label: string,
  simulatorOptions: SimulatorOptions = {},
): Promise<OpsWorkerStack> {
  const [namespace, db] = await Promise.all([createOpsNamespace(label), createTestDatabase()]);
  const taskQueue = uniqueTaskQueue(label);
  const envFor = (simulator: Simulator) =>
    serviceEnv({ databaseUrl: db.url, namespace, taskQueue, simulator });
  // The configuration comes from exactly the environment a process or CLI of this stack gets.
  const stack = await startWorkerStack({
    db,
    simulator: simulatorOptions,
    config: (simulator) => loadConfig(envFor(simulator)),
  });
  const temporal = await startDevServerWorker({ namespace, taskQueue, activities: stack.activities });
  const owner = await insertUser(db.orm);
  return {
    namespace,
    taskQueue,
    env: envFor(stack.simulator),
    config: stack.config,
    db,
    simulator: stack.simulator,
    client: temporal.client,
    cipher: stack.cipher,
    owner,
    close: async () => {
      await temporal.close().catch(() => undefined);
      await Promise.allSettled([stack.close(), db.drop()]);
    },
  };
}
