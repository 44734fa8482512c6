import { randomBytes } from 'node:crypto';
import type { SimulatorProcess } from './simulator-process';

/** What every process of one suite run shares: the keys the seeded tokens are encrypted with, the JWT key. */
export interface SuiteSecrets {
  encryptionKey: string;
  jwtSecret: string;
  cronSecret: string;
}

export function newSuiteSecrets(): SuiteSecrets {
  return {
    encryptionKey: randomBytes(32).toString('hex'),
    jwtSecret: randomBytes(32).toString('hex'),
    cronSecret: randomBytes(16).toString('hex'),
  };
}

export interface ServiceTargets {
  secrets: SuiteSecrets;
  simulator: SimulatorProcess;
  databaseUrl: string;
  redisUrl: string;
  keyPrefix: string;
  temporalAddress: string;
  taskQueue: string;
  tiktokRequestsPerMinute: number;
}

/**
 * The environment of a worker or API process under test: production settings (loadConfig reads it like any
 * deployment's), every address on 127.0.0.1, the platform clients pointed at the simulator. The API trusts
 * one proxy hop so the suite can speak for many clients (X-Forwarded-For) and give each check fresh budgets.
 */
export function serviceEnvironment(targets: ServiceTargets): Record<string, string> {
  const { simulator, secrets } = targets;
  const { urls, apps } = simulator;
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATA_DIR: '.data/faults',
    DATABASE_URL: targets.databaseUrl,
    REDIS_URL: targets.redisUrl,
    REDIS_KEY_PREFIX: targets.keyPrefix,
    TEMPORAL_ADDRESS: targets.temporalAddress,
    TEMPORAL_TASK_QUEUE: targets.taskQueue,
    HOST: '127.0.0.1',
    TRUST_PROXY: '1',
    ENCRYPTION_KEY: secrets.encryptionKey,
    JWT_SECRET: secrets.jwtSecret,
    CRON_JOB_SECRET: secrets.cronSecret,
    INSTAGRAM_APP_ID: apps.instagram.appId,
    INSTAGRAM_APP_SECRET: apps.instagram.appSecret,
    INSTAGRAM_REDIRECT_URI: 'http://127.0.0.1/callback/instagram',
    INSTAGRAM_GRAPH_URL: urls.instagramGraphUrl,
    INSTAGRAM_OAUTH_URL: urls.instagramOauthUrl,
    INSTAGRAM_AUTHORIZE_URL: urls.instagramAuthorizeUrl,
    TIKTOK_CLIENT_KEY: apps.tiktok.clientKey,
    TIKTOK_CLIENT_SECRET: apps.tiktok.clientSecret,
    TIKTOK_REDIRECT_URI: 'http://127.0.0.1/callback/tiktok',
    TIKTOK_API_URL: urls.tiktokApiUrl,
    TIKTOK_AUTHORIZE_URL: urls.tiktokAuthorizeUrl,
    TIKTOK_REQUESTS_PER_MINUTE: String(targets.tiktokRequestsPerMinute),
    // The schedules must not fire into a suite run: the first of January at midnight is far enough.
    TOKEN_REFRESH_CRON: '0 0 1 1 *',
    DATA_SYNC_CRON: '0 0 1 1 *',
    WORKER_METRICS_PORT: '0',
    WORKER_SHUTDOWN_GRACE_SECONDS: '5',
    API_SHUTDOWN_GRACE_SECONDS: '2',
  };
}
