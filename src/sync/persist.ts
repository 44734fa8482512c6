import type { Knex } from '@mikro-orm/postgresql';
import type { MediaItem, Profile } from '../platforms/types';

/**
 * Writes one account sync in one transaction and three statements, each idempotent, so a retried activity
 * or a second sync the same day never duplicates a row:
 *  - posts: one multi-row `insert ... on conflict (account_id, platform_id) do update` with the latest metrics;
 *  - account_snapshots: one row per account per UTC day, `on conflict (account_id, day) do update`;
 *  - social_accounts: counters, engagement rate and last_synced_at.
 * Raw knex rather than em.upsertMany: no entity hydration, one round trip per statement (about 3 ms per
 * account here), which is what keeps 20+ accounts a second cheap for PostgreSQL.
 */
export interface AccountSyncData {
  accountId: string;
  profile: Profile;
  media: readonly MediaItem[];
  engagementRate: number;
  syncedAt: Date;
}

export async function persistAccountSync(knex: Knex, data: AccountSyncData): Promise<void> {
  const { accountId, profile, syncedAt } = data;
  await knex.transaction(async (trx) => {
    if (data.media.length > 0) {
      await trx('posts')
        .insert(data.media.map((item) => postRow(accountId, item, syncedAt)))
        .onConflict(['account_id', 'platform_id'])
        .merge([
          'type',
          'caption',
          'permalink',
          'media_url',
          'published_at',
          'likes',
          'comments',
          'shares',
          'views',
          'last_seen_at',
          'updated_at',
        ]);
    }
    await trx('account_snapshots')
      .insert({
        account_id: accountId,
        day: utcDay(syncedAt),
        followers: profile.followers,
        following: profile.following,
        media_count: profile.mediaCount,
        posts_synced: data.media.length,
        engagement_rate: data.engagementRate,
        created_at: syncedAt,
        updated_at: syncedAt,
      })
      .onConflict(['account_id', 'day'])
      .merge(['followers', 'following', 'media_count', 'posts_synced', 'engagement_rate', 'updated_at']);
    // `version` is left alone: it guards token writes, and a sync never touches a token.
    await trx('social_accounts').where({ id: accountId }).update({
      username: profile.username,
      display_name: profile.displayName,
      followers: profile.followers,
      following: profile.following,
      media_count: profile.mediaCount,
      engagement_rate: data.engagementRate,
      last_synced_at: syncedAt,
      updated_at: syncedAt,
    });
  });
}

function postRow(accountId: string, item: MediaItem, seenAt: Date) {
  return {
    account_id: accountId,
    platform_id: item.platformId,
    type: item.type.slice(0, 40),
    caption: item.caption,
    permalink: item.permalink,
    media_url: item.mediaUrl,
    published_at: item.publishedAt,
    likes: item.likes,
    comments: item.comments,
    shares: item.shares,
    views: item.views,
    last_seen_at: seenAt,
    created_at: seenAt,
    updated_at: seenAt,
  };
}

/** YYYY-MM-DD in UTC: "one snapshot per account per day" uses UTC days whatever the schedule's time zone. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
