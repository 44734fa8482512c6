import { randomUUID } from 'node:crypto';
import { createSyncActivities } from '../../activities/sync';
import type { Platform } from '../../src/platforms';
import type { TestDatabase } from '../helpers/database';
import { getIntegrationEnv } from '../helpers/integration-env';
import { startWorkerStack, type WorkerStack } from '../helpers/worker-stack';

/**
 * The real stack of a data sync minus Temporal: the in-process simulator (with a TikTok quota counted in
 * windows of `windowMs`), PostgreSQL, Redis, the platform clients and every activity of the worker.
 */
export type SyncStack = WorkerStack;

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
  return startWorkerStack({
    db,
    simulator: { quotas: { tiktok: { requestsPerWindow: tiktokPerWindow, windowMs } } },
    env: {
      REDIS_KEY_PREFIX: `${getIntegrationEnv().redisKeyPrefix}${randomUUID()}:`,
      // Configuration speaks per minute; the activities scale it to the simulator's window.
      TIKTOK_REQUESTS_PER_MINUTE: String(Math.round((tiktokPerWindow * 60_000) / windowMs)),
    },
    activities: (deps) => createSyncActivities(deps, { platformWindowMs: windowMs }),
  });
}

/** Posts the platform would list: published, and public on TikTok. */
export function listablePosts(stack: SyncStack, platform: Platform, externalId: string) {
  const now = stack.simulator.control.now().getTime();
  return stack.simulator.control
    .listPosts(platform, externalId)
    .filter((post) => post.publishedAt.getTime() <= now && post.isPublic);
}
