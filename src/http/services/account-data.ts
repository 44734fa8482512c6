import type { EntityManager } from '@mikro-orm/postgresql';
import { AccountSnapshot, Post, type SocialAccount } from '../../db/entities';
import { AppError } from '../../errors';
import { idSchema } from '../schemas';

/** Opaque cursor: base64url of `<publishedAt ISO>|<post id>`, the last item of the previous page. */
export function encodePostCursor(post: Post): string {
  return Buffer.from(`${post.publishedAt.toISOString()}|${post.id}`, 'utf8').toString('base64url');
}

export function decodePostCursor(cursor: string): { publishedAt: Date; id: string } {
  const [publishedAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(publishedAt ?? '');
  if (!idSchema.safeParse(id).success || Number.isNaN(date.getTime())) {
    throw new AppError('VALIDATION_FAILED', 'Invalid input: query.cursor.', [
      { field: 'query.cursor', message: 'is not a cursor from this API' },
    ]);
  }
  return { publishedAt: date, id };
}

/** Newest first; keyset pagination on (publishedAt, id), the order of the posts index. */
export async function listPosts(
  em: EntityManager,
  account: SocialAccount,
  options: { limit: number; cursor?: string },
) {
  const after = options.cursor ? decodePostCursor(options.cursor) : null;
  const where = after
    ? {
        account,
        $or: [
          { publishedAt: { $lt: after.publishedAt } },
          { publishedAt: after.publishedAt, id: { $lt: after.id } },
        ],
      }
    : { account };
  const rows = await em.find(Post, where, {
    orderBy: { publishedAt: 'desc', id: 'desc' },
    limit: options.limit + 1,
  });
  const page = rows.slice(0, options.limit);
  const nextCursor = rows.length > options.limit ? encodePostCursor(page[page.length - 1]) : null;
  return { posts: page, nextCursor };
}

const DAY_MS = 86_400_000;

/** One UTC day of an account's history: its snapshot, or nothing stored for that day. */
export type HistoryDay = { date: string; snapshot: AccountSnapshot } | { date: string; snapshot: null };

/**
 * One entry per UTC day, oldest first: the `days` days ending today, from the account's connection day on
 * (a reconnection keeps the account's row and so its first connection day). A day without a snapshot (the nightly run missed it: an
 * outage, a paused schedule, a failing account) is an entry without one, so a chart shows the gap instead of
 * drawing a line through it.
 */
export async function listHistory(
  em: EntityManager,
  account: SocialAccount,
  days: number,
  now = new Date(),
): Promise<{ from: string; to: string; days: HistoryDay[] }> {
  const to = utcDay(now);
  const rangeStart = utcDay(new Date(now.getTime() - (days - 1) * DAY_MS));
  const snapshots = await em.find(
    AccountSnapshot,
    { account, day: { $gte: rangeStart, $lte: to } },
    { orderBy: { day: 'asc' } },
  );
  const byDay = new Map(snapshots.map((snapshot) => [dayString(snapshot.day), snapshot]));
  const connected = utcDay(account.createdAt);
  const from = connected > rangeStart ? connected : rangeStart;
  const entries: HistoryDay[] = [];
  for (let day = from; day <= to; day = utcDay(new Date(Date.parse(day) + DAY_MS)))
    entries.push({ date: day, snapshot: byDay.get(day) ?? null });
  return { from, to, days: entries };
}

function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** A `date` column comes back as YYYY-MM-DD, or as a Date at UTC midnight from some code paths. */
export function dayString(day: string | Date): string {
  return typeof day === 'string' ? day.slice(0, 10) : utcDay(day);
}

/** What an account answer shows: a SocialAccount entity, or the row listOwnAccounts reads. */
export type AccountView = Pick<
  SocialAccount,
  | 'id'
  | 'platform'
  | 'externalId'
  | 'username'
  | 'displayName'
  | 'status'
  | 'followers'
  | 'following'
  | 'mediaCount'
  | 'engagementRate'
  | 'lastSyncedAt'
  | 'lastRefreshedAt'
  | 'accessExpiresAt'
  | 'lastErrorCode'
  | 'createdAt'
>;

/**
 * The caller's accounts, oldest first, read with the query builder rather than `em.find`: GET /accounts is
 * the API's busiest read, and MikroORM's query building and hydration cost about three times the query's own
 * CPU (measured: ~600 against ~200 us per call). Only the columns the answer shows; never a token.
 */
export async function listOwnAccounts(em: EntityManager, ownerId: string): Promise<AccountView[]> {
  const rows: Record<keyof AccountView, unknown>[] = await em
    .getKnex()('social_accounts')
    .select({
      id: 'id',
      platform: 'platform',
      externalId: 'external_id',
      username: 'username',
      displayName: 'display_name',
      status: 'status',
      followers: 'followers',
      following: 'following',
      mediaCount: 'media_count',
      engagementRate: 'engagement_rate',
      lastSyncedAt: 'last_synced_at',
      lastRefreshedAt: 'last_refreshed_at',
      accessExpiresAt: 'access_expires_at',
      lastErrorCode: 'last_error_code',
      createdAt: 'created_at',
    })
    .where({ owner_id: ownerId })
    .orderBy([{ column: 'created_at' }, { column: 'id' }]);
  // The connection hands timestamps over as strings.
  const date = (value: unknown) => (value == null ? null : new Date(value as string));
  return rows.map((row) => ({
    ...(row as unknown as AccountView),
    lastSyncedAt: date(row.lastSyncedAt),
    lastRefreshedAt: date(row.lastRefreshedAt),
    accessExpiresAt: date(row.accessExpiresAt),
    createdAt: date(row.createdAt)!,
  }));
}
