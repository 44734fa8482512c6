import type { Knex } from '@mikro-orm/postgresql';
import type { MediaItem, Profile } from '../platforms/types';
import { DELIVER_FOR_MS } from '../webhooks/outbox';

/**
 * Writes one account sync as ONE statement, hence one round trip and one implicit transaction, each write
 * idempotent so a retried activity or a second sync the same day never duplicates a row:
 *  - posts: a multi-row `insert ... on conflict (account_id, platform_id) do update` with the latest metrics;
 *  - account_snapshots: one row per account per UTC day, `on conflict (account_id, day) do update`;
 *  - social_accounts: counters, engagement rate and last_synced_at (which takes the account's row lock);
 *  - outbox: the `account.synced` event (src/webhooks/events.ts, AccountSyncedData: keep the two in step), built from the account
 *    row the update returned, so it is taken under that row lock, in commit order per account, and exists
 *    exactly when the data does.
 * The event's figures come from the rows as they were before this statement (PostgreSQL gives every part of
 * one statement the same snapshot): the previous snapshot for the followers' change, the stored posts for
 * how many are new and how many changed.
 * Eight round trips before (begin, two reads, four writes, commit); the sync's database time was most of a
 * plain-Node fleet's socket writes. The posts travel as one array per column (unnest), so the statement's
 * text and its ten array parameters are the same whatever the number of posts.
 */
export interface AccountSyncData {
  accountId: string;
  profile: Profile;
  media: readonly MediaItem[];
  engagementRate: number;
  syncedAt: Date;
}

const PERSIST_SYNC = `
with incoming as (
  select * from unnest(
    :platformIds::text[], :types::text[], :captions::text[], :permalinks::text[], :mediaUrls::text[],
    :publishedAt::timestamptz[], :likes::int[], :comments::int[], :shares::int[], :views::bigint[]
  ) as t(platform_id, type, caption, permalink, media_url, published_at, likes, comments, shares, views)
),
stored as (
  select p.platform_id, p.caption, p.permalink, p.media_url, p.likes, p.comments, p.shares, p.views
  from posts p join incoming i on i.platform_id = p.platform_id
  where p.account_id = :accountId
),
upserted_posts as (
  insert into posts (account_id, platform_id, type, caption, permalink, media_url, published_at,
                     likes, comments, shares, views, last_seen_at, created_at, updated_at)
  select :accountId, platform_id, type, caption, permalink, media_url, published_at,
         likes, comments, shares, views, :syncedAt, :syncedAt, :syncedAt
  from incoming
  on conflict (account_id, platform_id) do update set
    type = excluded.type, caption = excluded.caption, permalink = excluded.permalink,
    media_url = excluded.media_url, published_at = excluded.published_at, likes = excluded.likes,
    comments = excluded.comments, shares = excluded.shares, views = excluded.views,
    last_seen_at = excluded.last_seen_at, updated_at = excluded.updated_at
  returning 1
),
previous_snapshot as (
  select followers from account_snapshots where account_id = :accountId order by day desc limit 1
),
upserted_snapshot as (
  insert into account_snapshots (account_id, day, followers, following, media_count, posts_synced,
                                 engagement_rate, created_at, updated_at)
  values (:accountId, :day, :followers, :following, :mediaCount, :postsSynced, :engagementRate,
          :syncedAt, :syncedAt)
  on conflict (account_id, day) do update set
    followers = excluded.followers, following = excluded.following, media_count = excluded.media_count,
    posts_synced = excluded.posts_synced, engagement_rate = excluded.engagement_rate,
    updated_at = excluded.updated_at
  returning 1
),
-- version is left alone: it guards token writes, and a sync never touches a token.
account as (
  update social_accounts set
    username = :username, display_name = :displayName, followers = :followers, following = :following,
    media_count = :mediaCount, engagement_rate = :engagementRate, last_synced_at = :syncedAt,
    updated_at = :syncedAt
  where id = :accountId
  returning id, owner_id, platform
)
insert into outbox (kind, stream_key, payload, give_up_at)
select 'account.synced', account.id, jsonb_build_object(
    'accountId', account.id,
    'ownerId', account.owner_id,
    'platform', account.platform,
    'syncedAt', :syncedAtIso::text,
    'followers', :followers::int,
    'followersChange', :followers::int - (select followers from previous_snapshot),
    'following', :following::int,
    'mediaCount', :mediaCount::int,
    'engagementRate', :engagementRate::float8,
    'posts', jsonb_build_object(
      'added', (select count(*) from incoming i where not exists (
                 select 1 from stored s where s.platform_id = i.platform_id)),
      'updated', (select count(*) from incoming i join stored s on s.platform_id = i.platform_id
                  where (s.caption, s.permalink, s.media_url, s.likes, s.comments, s.shares, s.views)
                        is distinct from
                        (i.caption, i.permalink, i.media_url, i.likes, i.comments, i.shares, i.views))
    )
  ),
  now() + make_interval(secs => :deliverForSeconds)
from account
`;

export async function persistAccountSync(knex: Knex, data: AccountSyncData): Promise<void> {
  const { accountId, profile, media, syncedAt } = data;
  await knex.raw(PERSIST_SYNC, {
    accountId,
    platformIds: media.map((item) => item.platformId),
    types: media.map((item) => item.type.slice(0, 40)),
    captions: media.map((item) => item.caption),
    permalinks: media.map((item) => item.permalink),
    mediaUrls: media.map((item) => item.mediaUrl),
    publishedAt: media.map((item) => item.publishedAt),
    likes: media.map((item) => item.likes),
    comments: media.map((item) => item.comments),
    shares: media.map((item) => item.shares),
    views: media.map((item) => item.views),
    syncedAt,
    syncedAtIso: syncedAt.toISOString(),
    day: utcDay(syncedAt),
    username: profile.username,
    displayName: profile.displayName,
    followers: profile.followers,
    following: profile.following,
    mediaCount: profile.mediaCount,
    postsSynced: media.length,
    engagementRate: data.engagementRate,
    deliverForSeconds: DELIVER_FOR_MS / 1000,
  });
}

/** YYYY-MM-DD in UTC: "one snapshot per account per day" uses UTC days whatever the schedule's time zone. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
