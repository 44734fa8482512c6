import { randomBytes } from 'node:crypto';
import { simulatorEnv, type Simulator } from '../simulator';
import type { BenchArgs } from './bench-args';

export interface BenchTargets {
  simulator: Simulator;
  databaseUrl: string;
  keyPrefix: string;
  temporalAddress: string;
  taskQueue: string;
}

/**
 * The environment of the processes under test (worker, or baseline runner): the same configuration path as
 * production (loadConfig), pointed at the simulator, a fresh database, a fresh Redis key prefix.
 */
export function benchEnvironment(
  args: Pick<BenchArgs, 'redisUrl' | 'tiktokQuota' | 'concurrency'>,
  targets: BenchTargets,
): Record<string, string> {
  const { simulator } = targets;
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATA_DIR: '.data/bench',
    DATABASE_URL: targets.databaseUrl,
    REDIS_URL: args.redisUrl,
    REDIS_KEY_PREFIX: targets.keyPrefix,
    TEMPORAL_ADDRESS: targets.temporalAddress,
    TEMPORAL_TASK_QUEUE: targets.taskQueue,
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    JWT_SECRET: randomBytes(32).toString('hex'),
    CRON_JOB_SECRET: randomBytes(16).toString('hex'),
    ...simulatorEnv(simulator),
    INSTAGRAM_REDIRECT_URI: 'http://127.0.0.1/callback/instagram',
    TIKTOK_REDIRECT_URI: 'http://127.0.0.1/callback/tiktok',
    TIKTOK_REQUESTS_PER_MINUTE: String(args.tiktokQuota),
    SYNC_CONCURRENCY: String(args.concurrency),
    WORKER_METRICS_PORT: '0',
  };
}
