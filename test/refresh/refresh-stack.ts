import pino from 'pino';
import { createActivities } from '../../activities';
import type { Config } from '../../src/config';
import { createTokenCipher, type TokenCipher } from '../../src/crypto/token-cipher';
import type { SocialAccount, User } from '../../src/db/entities';
import { createWorkerMetrics, type WorkerMetrics } from '../../src/metrics/worker-metrics';
import { createPlatformClients, type Platform, type PlatformClient } from '../../src/platforms';
import { createRedis } from '../../src/redis/connection';
import { createSimulator, withSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator';
import { insertAccount } from '../helpers/accounts';
import { makeTestConfig } from '../helpers/config';
import type { TestDatabase } from '../helpers/database';
import { getIntegrationEnv } from '../helpers/integration-env';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/**
 * The worker's real activities over PostgreSQL (a private test database), the in-process simulator, the
 * platform clients and a local webhook receiver. Only Temporal is left for the test to add.
 */
export interface RefreshStack {
  config: Config;
  simulator: Simulator;
  cipher: TokenCipher;
  platforms: Record<Platform, PlatformClient>;
  metrics: WorkerMetrics;
  webhook: WebhookReceiver;
  activities: ReturnType<typeof createActivities>;
  close(): Promise<void>;
}

export async function startRefreshStack(
  db: TestDatabase,
  options: { simulator?: SimulatorOptions; env?: Record<string, string> } = {},
): Promise<RefreshStack> {
  const integration = getIntegrationEnv();
  const simulator = createSimulator({ accountsPerPlatform: 0, ...options.simulator });
  await simulator.start();
  const webhook = await startWebhookReceiver();
  const config = withSimulator(
    makeTestConfig({
      DATABASE_URL: db.url,
      REDIS_KEY_PREFIX: integration.redisKeyPrefix,
      NOTIFY_WEBHOOK_URL: webhook.url,
      NOTIFY_WEBHOOK_SECRET: WEBHOOK_SECRET,
      ...options.env,
    }),
    simulator,
  );
  const redis = createRedis({ url: integration.redisUrl });
  const cipher = createTokenCipher(config.encryption);
  const platforms = createPlatformClients(config);
  const metrics = createWorkerMetrics();
  const activities = createActivities({
    config,
    logger: pino({ level: 'silent' }),
    orm: db.orm,
    redis,
    cipher,
    platforms,
    metrics,
  });
  return {
    config,
    simulator,
    cipher,
    platforms,
    metrics,
    webhook,
    activities,
    close: async () => {
      redis.disconnect();
      await Promise.all([simulator.stop(), webhook.close()]);
    },
  };
}

export interface ConnectedAccount {
  platform: Platform;
  externalId: string;
  account: SocialAccount;
  accessToken: string;
  refreshToken: string | null;
}

/**
 * A simulator account connected in the database with tokens the simulator issued at `issuedAt`, as an
 * OAuth exchange would have stored them. `accessExpiresAt` overrides what the database believes.
 */
export async function connectAccount(
  stack: RefreshStack,
  db: TestDatabase,
  owner: User,
  platform: Platform,
  init: { issuedAt: Date; accessExpiresAt?: Date },
): Promise<ConnectedAccount> {
  const { externalId } = stack.simulator.control.addAccount(platform, { postCount: 0 });
  const tokens = stack.simulator.control.issueTokens(platform, externalId, { issuedAt: init.issuedAt });
  const account = await insertAccount(db.orm, stack.cipher, {
    owner,
    platform,
    externalId,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessExpiresAt: init.accessExpiresAt ?? tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    tokenObtainedAt: tokens.obtainedAt,
  });
  return {
    platform,
    externalId,
    account,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
  };
}

/** Decrypted tokens as stored now (the test reads what the activities wrote). */
export async function storedTokens(
  db: TestDatabase,
  cipher: TokenCipher,
  accountId: string,
): Promise<{ accessToken: string; refreshToken: string | null }> {
  const [row] = await db.orm.em
    .fork()
    .execute<Array<{ access_token_enc: string; refresh_token_enc: string | null }>>(
      'select access_token_enc, refresh_token_enc from social_accounts where id = ?',
      [accountId],
    );
  return {
    accessToken: cipher.decrypt(row.access_token_enc),
    refreshToken: row.refresh_token_enc ? cipher.decrypt(row.refresh_token_enc) : null,
  };
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
