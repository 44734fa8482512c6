import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../src/config';
import type { WorkerMetrics } from '../src/metrics/worker-metrics';
import type { TokenCipher } from '../src/crypto/token-cipher';
import type { Platform, PlatformClient } from '../src/platforms/types';
import { createAccountActivities } from './accounts';
import { createNotificationActivities } from './notifications';
import { createSyncActivities } from './sync';
import { createTokenActivities } from './tokens';
import { createTokenFleetActivities } from './tokens-fleet';

/**
 * Everything activities may touch, passed in explicitly by the worker's composition root (no module-level
 * singletons). Each activity forks its own EntityManager from `orm`.
 */
export interface ActivityDeps {
  config: Config;
  logger: Logger;
  orm: MikroORM;
  redis: Redis;
  cipher: TokenCipher;
  platforms: Record<Platform, PlatformClient>;
  metrics: WorkerMetrics;
  /** Injectable clock for tests; defaults to the system clock. */
  now?: () => Date;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createTokenActivities(deps),
    ...createTokenFleetActivities(deps),
    ...createAccountActivities(deps),
    ...createNotificationActivities(deps),
    ...createSyncActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
