import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../../activities';
import { loadConfig, type Config } from '../../src/config';
import { createTokenCipher, type TokenCipher } from '../../src/crypto/token-cipher';
import type { User } from '../../src/db/entities';
import { createWorkerMetrics } from '../../src/metrics/worker-metrics';
import { createPlatformClients } from '../../src/platforms';
import { createRedis } from '../../src/redis/connection';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator';
import { insertUser } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { getIntegrationEnv } from '../helpers/integration-env';
import { createTestWorker, uniqueTaskQueue } from '../helpers/temporal';
import { createOpsNamespace, serviceEnv } from './ops-stack';

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
  const integration = getIntegrationEnv();
  const [namespace, db] = await Promise.all([createOpsNamespace(label), createTestDatabase()]);
  const simulator = createSimulator({ accountsPerPlatform: 0, ...simulatorOptions });
  await simulator.start();
  const taskQueue = uniqueTaskQueue(label);
  const env = serviceEnv({ databaseUrl: db.url, namespace, taskQueue, simulator });
  const config = loadConfig(env);
  const connection = await Connection.connect({ address: integration.temporalAddress });
  const nativeConnection = await NativeConnection.connect({ address: integration.temporalAddress });
  const redis = createRedis({ url: integration.redisUrl });
  const cipher = createTokenCipher(config.encryption);
  const activities = createActivities({
    config,
    logger: pino({ level: 'silent' }),
    orm: db.orm,
    redis,
    cipher,
    platforms: createPlatformClients(config),
    metrics: createWorkerMetrics(),
  });
  const worker: Worker = await createTestWorker({
    connection: nativeConnection,
    namespace,
    taskQueue,
    activities,
  });
  const running = worker.run();
  const owner = await insertUser(db.orm);
  return {
    namespace,
    taskQueue,
    env,
    config,
    db,
    simulator,
    client: new Client({ connection, namespace }),
    cipher,
    owner,
    close: async () => {
      worker.shutdown();
      await running.catch(() => undefined);
      redis.disconnect();
      await Promise.allSettled([connection.close(), nativeConnection.close(), simulator.stop(), db.drop()]);
    },
  };
}
