import { PLATFORMS, type Platform } from '../platforms/types';
import type { Db } from './store';

/**
 * How fresh the fleet's data is, per platform, for operators: the worker's gauges, the admin stats and the
 * fleet.stale_accounts event all read it here. An account's data is as old as its last sync; an account
 * never synced counts from its connection (connecting reads the profile), so a new account is not stale.
 */

export interface PlatformFreshness {
  active: number;
  /** Active accounts synced within the last 24 hours. */
  syncedWithin24h: number;
  /** Active accounts whose data is older than STALE_AFTER_HOURS. */
  stale: number;
  /** Age of the oldest data among active accounts; 0 without active accounts. */
  oldestSyncAgeSeconds: number;
}

const DAY_MS = 86_400_000;
const DATA_TIME = 'coalesce(last_synced_at, created_at)';

export async function readFleetFreshness(
  db: Db,
  input: { now: Date; staleAfterHours: number },
): Promise<Record<Platform, PlatformFreshness>> {
  const staleBefore = new Date(input.now.getTime() - input.staleAfterHours * 3_600_000);
  const dayAgo = new Date(input.now.getTime() - DAY_MS);
  const rows: {
    platform: Platform;
    active: string;
    synced_within_24h: string;
    stale: string;
    oldest: string | Date | null;
  }[] = await db('social_accounts')
    .select('platform')
    .count({ active: '*' })
    .select(
      db.raw('count(*) filter (where last_synced_at >= ?) as synced_within_24h', [dayAgo]),
      db.raw(`count(*) filter (where ${DATA_TIME} < ?) as stale`, [staleBefore]),
      db.raw(`min(${DATA_TIME}) as oldest`),
    )
    .where('status', 'active')
    .groupBy('platform');
  const freshness = Object.fromEntries(
    PLATFORMS.map((platform) => [
      platform,
      { active: 0, syncedWithin24h: 0, stale: 0, oldestSyncAgeSeconds: 0 },
    ]),
  ) as Record<Platform, PlatformFreshness>;
  for (const row of rows) {
    const oldest = row.oldest ? new Date(row.oldest).getTime() : input.now.getTime();
    freshness[row.platform] = {
      active: Number(row.active),
      syncedWithin24h: Number(row.synced_within_24h),
      stale: Number(row.stale),
      oldestSyncAgeSeconds: Math.max(0, Math.round((input.now.getTime() - oldest) / 1000)),
    };
  }
  return freshness;
}

/** The stale accounts' ids, oldest data first, at most `limit`. */
export async function listStaleAccountIds(
  db: Db,
  input: { now: Date; staleAfterHours: number; limit: number },
): Promise<string[]> {
  const staleBefore = new Date(input.now.getTime() - input.staleAfterHours * 3_600_000);
  const rows: { id: string }[] = await db('social_accounts')
    .select('id')
    .where('status', 'active')
    .andWhereRaw(`${DATA_TIME} < ?`, [staleBefore])
    .orderByRaw(`${DATA_TIME}, id`)
    .limit(input.limit);
  return rows.map((row) => row.id);
}
