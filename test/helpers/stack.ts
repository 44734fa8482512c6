import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { createActivities, type Activities } from '../../activities';
import type { ActivityDeps } from '../../activities/deps';
import type { Config } from '../../src/config';
import { createTokenCipher, type TokenCipher } from '../../src/crypto/token-cipher';
import {
  createSimulator,
  withSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/devtools/simulator';
import { createWorkerMetrics, type WorkerMetrics } from '../../src/metrics/worker-metrics';
import { createPlatformClients, type Platform, type PlatformClient } from '../../src/platforms';
import { createRedis } from '../../src/redis/connection';
import { makeTestConfig } from './config';
import type { TestDatabase } from './database';
import { getIntegrationEnv } from './integration-env';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

/**
 * The worker's real activities without Temporal, the one stack integration tests build on: an in-process
 * simulator (no seeded accounts), configuration pointed at it, the run's Redis, the test file's database,
 * the platform clients and every activity of activities/index.ts. Options add what an area needs: a local
 * webhook receiver (notifications and data events), a TikTok quota counted in short windows (data sync).
 * A test that needs workflows adds a worker (startDevServerWorker in ./temporal).
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
  /** Present when the stack was started with `webhook: true`. */
  webhook: WebhookReceiver | null;
  close(): Promise<void>;
}

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface WorkerStackOptions {
  db: Pick<TestDatabase, 'url' | 'orm'>;
  simulator?: SimulatorOptions;
  /** Variables over the test environment; DATABASE_URL and the run's REDIS_KEY_PREFIX are already set. */
  env?: Record<string, string>;
  /** Instead of the test environment + `env`: the configuration once the simulator listens. */
  config?: (simulator: Simulator) => Config;
  /** A local receiver as NOTIFY_WEBHOOK_URL, signing with WEBHOOK_SECRET. */
  webhook?: boolean;
  /**
   * TikTok calls per endpoint per `windowMs`, in the simulator and in our budgets, with a Redis key prefix
   * of the stack's own (budgets never mix between stacks).
   */
  tiktokQuota?: { perWindow: number; windowMs: number };
  /** Activities over the same dependencies that replace the defaults of the same name. */
  activities?: (deps: ActivityDeps) => Partial<Activities>;
  /** The data events' retry backoff (production: 10 s doubling to 10 min), shrunk so tests see retries. */
  webhookBackoff?: ActivityDeps['webhookBackoff'];
  /** The activities' clock (default: the real one). */
  now?: () => Date;
}

export async function startWorkerStack(options: WorkerStackOptions): Promise<WorkerStack> {
  const integration = getIntegrationEnv();
  const webhook = options.webhook ? await startWebhookReceiver() : null;
  const quota = options.tiktokQuota;
  const simulator = createSimulator({
    accountsPerPlatform: 0,
    ...options.simulator,
    ...(quota
      ? { quotas: { tiktok: { requestsPerWindow: quota.perWindow, windowMs: quota.windowMs } } }
      : {}),
  });
  await simulator.start();
  const config =
    options.config?.(simulator) ??
    withSimulator(
      makeTestConfig({
        DATABASE_URL: options.db.url,
        REDIS_KEY_PREFIX: integration.redisKeyPrefix,
        ...(webhook ? { NOTIFY_WEBHOOK_URL: webhook.url, NOTIFY_WEBHOOK_SECRET: WEBHOOK_SECRET } : {}),
        ...(quota
          ? {
              REDIS_KEY_PREFIX: `${integration.redisKeyPrefix}${randomUUID()}:`,
              // Configuration speaks per minute; the activities scale it to the simulator's window.
              TIKTOK_REQUESTS_PER_MINUTE: String(Math.round((quota.perWindow * 60_000) / quota.windowMs)),
            }
          : {}),
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
    now: options.now ?? (() => new Date()),
    platformWindowMs: quota?.windowMs,
    webhookBackoff: options.webhookBackoff,
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
    webhook,
    close: async () => {
      deps.redis.disconnect();
      await Promise.all([simulator.stop(), webhook?.close()]);
    },
  };
}

/** Decrypted tokens as stored now (the test reads what the activities wrote). */
export async function storedTokens(
  stack: Pick<WorkerStack, 'orm' | 'cipher'>,
  accountId: string,
): Promise<{ accessToken: string; refreshToken: string | null }> {
  const row = await stack.orm.em
    .getKnex()('social_accounts')
    .select('access_token_enc', 'refresh_token_enc')
    .where({ id: accountId })
    .first();
  return {
    accessToken: stack.cipher.decrypt(row.access_token_enc),
    refreshToken: row.refresh_token_enc ? stack.cipher.decrypt(row.refresh_token_enc) : null,
  };
}

/** Posts the platform would list: published, and public on TikTok. */
export function listablePosts(stack: Pick<WorkerStack, 'simulator'>, platform: Platform, externalId: string) {
  const now = stack.simulator.control.now().getTime();
  return stack.simulator.control
    .listPosts(platform, externalId)
    .filter((post) => post.publishedAt.getTime() <= now && post.isPublic);
}
