import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { createActivities } from '../../activities';
import { createSyncActivities } from '../../activities/sync';
import type { Config } from '../../src/config';
import { createTokenCipher, type TokenCipher } from '../../src/crypto/token-cipher';
import type { SocialAccount, User } from '../../src/db/entities';
import { createWorkerMetrics } from '../../src/metrics/worker-metrics';
import { createPlatformClients, type Platform } from '../../src/platforms';
import { createRedis } from '../../src/redis/connection';
import { createSimulator, withSimulator, type Simulator } from '../../src/simulator';
import { insertAccount } from '../helpers/accounts';
import { makeTestConfig } from '../helpers/config';
import type { TestDatabase } from '../helpers/database';
import { getIntegrationEnv } from '../helpers/integration-env';

/**
 * The real stack of a data sync minus Temporal: the in-process simulator (with a TikTok quota counted in
 * windows of `windowMs`), PostgreSQL, Redis, the platform clients and every activity of the worker.
 */
export interface SyncStack {
  config: Config;
  simulator: Simulator;
  redis: Redis;
  cipher: TokenCipher;
  activities: ReturnType<typeof createActivities>;
  close(): Promise<void>;
}

export interface SyncStackOptions {
  db: TestDatabase;
  /** TikTok calls per endpoint per window, in the simulator and in our budgets. */
  tiktokPerWindow: number;
  windowMs: number;
}

export async function startSyncStack({
  db,
  tiktokPerWindow,
  windowMs,
}: SyncStackOptions): Promise<SyncStack> {
  const env = getIntegrationEnv();
  const simulator = createSimulator({
    accountsPerPlatform: 0,
    quotas: { tiktok: { requestsPerWindow: tiktokPerWindow, windowMs } },
  });
  await simulator.start();
  const config = withSimulator(
    makeTestConfig({
      DATABASE_URL: db.url,
      REDIS_KEY_PREFIX: `${env.redisKeyPrefix}${randomUUID()}:`,
      // Configuration speaks per minute; the activities scale it to the simulator's window.
      TIKTOK_REQUESTS_PER_MINUTE: String(Math.round((tiktokPerWindow * 60_000) / windowMs)),
    }),
    simulator,
  );
  const redis = createRedis({ url: env.redisUrl });
  const cipher = createTokenCipher(config.encryption);
  const deps = {
    config,
    logger: pino({ level: 'silent' }),
    orm: db.orm,
    redis,
    cipher,
    platforms: createPlatformClients(config),
    metrics: createWorkerMetrics(),
  };
  const activities = {
    ...createActivities(deps),
    ...createSyncActivities(deps, { platformWindowMs: windowMs }),
  };
  return {
    config,
    simulator,
    redis,
    cipher,
    activities,
    close: async () => {
      redis.disconnect();
      await simulator.stop();
    },
  };
}

export interface SeededAccount {
  platform: Platform;
  externalId: string;
  account: SocialAccount;
  accessToken: string;
  refreshToken: string | null;
}

/** A simulator account with `postCount` posts, connected in the database with freshly issued tokens. */
export async function seedConnectedAccount(
  stack: SyncStack,
  db: TestDatabase,
  owner: User,
  platform: Platform,
  init: { postCount: number; lastSyncedAt?: Date | null },
): Promise<SeededAccount> {
  const { externalId } = stack.simulator.control.addAccount(platform, { postCount: init.postCount });
  const tokens = stack.simulator.control.issueTokens(platform, externalId);
  const account = await insertAccount(db.orm, stack.cipher, {
    owner,
    platform,
    externalId,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    tokenObtainedAt: tokens.obtainedAt,
    lastSyncedAt: init.lastSyncedAt ?? null,
  });
  return {
    platform,
    externalId,
    account,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
  };
}

/** Posts the platform would list: published, and public on TikTok. */
export function listablePosts(stack: SyncStack, platform: Platform, externalId: string) {
  const now = stack.simulator.control.now().getTime();
  return stack.simulator.control
    .listPosts(platform, externalId)
    .filter((post) => post.publishedAt.getTime() <= now && post.isPublic);
}
