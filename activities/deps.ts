import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../src/config';
import type { TokenCipher } from '../src/crypto/token-cipher';
import type { WorkerMetrics } from '../src/metrics/worker-metrics';
import type { Platform, PlatformClient } from '../src/platforms/types';
import type { EventBackoff } from '../src/webhooks/delivery';

/**
 * Everything activities may touch, passed in explicitly by the worker's composition root (no module-level
 * singletons). Each activity works on `orm`'s connection pool; `now` is the one clock (tests inject theirs).
 */
export interface ActivityDeps {
  config: Config;
  logger: Logger;
  orm: MikroORM;
  redis: Redis;
  cipher: TokenCipher;
  platforms: Record<Platform, PlatformClient>;
  metrics: WorkerMetrics;
  now: () => Date;
  /**
   * The platforms' counting window (one minute). Whole-stack tests shrink it, with the simulator's, so a
   * quota binds within seconds; configured limits stay "per minute" and are scaled to it.
   */
  platformWindowMs?: number;
  /** The data events' retry backoff (default 10 s doubling to 10 min); whole-stack tests shrink it. */
  webhookBackoff?: EventBackoff;
  /** Aborted when the worker starts to stop: long waits inside activities (the webhook drainer's) end at once. */
  stopping?: AbortSignal;
}
