import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { createActivities, type Activities, type ActivityDeps } from '../../activities';
import type { Config } from '../../src/config';
import { createTokenCipher, type TokenCipher } from '../../src/crypto/token-cipher';
import { createWorkerMetrics, type WorkerMetrics } from '../../src/metrics/worker-metrics';
import { createPlatformClients, type Platform, type PlatformClient } from '../../src/platforms';
import { createRedis } from '../../src/redis/connection';
import { createSimulator, withSimulator, type Simulator, type SimulatorOptions } from '../../src/devtools/simulator';
import { makeTestConfig } from './config';
import type { TestDatabase } from './database';
import { getIntegrationEnv } from './integration-env';

/**
 * The worker's real activities without Temporal: an in-process simulator (no seeded accounts), configuration
 * pointed at it, the run's Redis, the test file's database, the platform clients and every activity of
 * activities/index.ts. A test that needs workflows adds a worker (startDevServerWorker in ./temporal).
 */
export interface WorkerStack {
  config: Config;
  simulator: Simulator;
  orm: MikroORM;
  redis: Redis;
  cipher: TokenCipher;
  platforms: Record<Platform, PlatformClient>;
  metrics: WorkerMetrics;
  activities: Activities;
  close(): Promise<void>;
}

export interface WorkerStackOptions {
  db: Pick<TestDatabase, 'url' | 'orm'>;
  simulator?: SimulatorOptions;
  /** Variables over the test environment; DATABASE_URL and the run's REDIS_KEY_PREFIX are already set. */
  env?: Record<string, string>;
  /** Instead of the test environment + `env`: the configuration once the simulator listens. */
  config?: (simulator: Simulator) => Config;
  /** Activities over the same dependencies that replace the defaults of the same name. */
  activities?: (deps: ActivityDeps) => Partial<Activities>;
}

export async function startWorkerStack(options: WorkerStackOptions): Promise<WorkerStack> {
  const integration = getIntegrationEnv();
  const simulator = createSimulator({ accountsPerPlatform: 0, ...options.simulator });
  await simulator.start();
  const config =
    options.config?.(simulator) ??
    withSimulator(
      makeTestConfig({
        DATABASE_URL: options.db.url,
        REDIS_KEY_PREFIX: integration.redisKeyPrefix,
        ...options.env,
      }),
      simulator,
    );
  const deps: ActivityDeps = {
    config,
    logger: pino({ level: 'silent' }),
    orm: options.db.orm,
    redis: createRedis({ url: integration.redisUrl }),
    cipher: createTokenCipher(config.encryption),
    platforms: createPlatformClients(config),
    metrics: createWorkerMetrics(),
  };
  return {
    config,
    simulator,
    orm: deps.orm,
    redis: deps.redis,
    cipher: deps.cipher,
    platforms: deps.platforms,
    metrics: deps.metrics,
    activities: { ...createActivities(deps), ...options.activities?.(deps) },
    close: async () => {
      deps.redis.disconnect();
      await simulator.stop();
    },
  };
}
