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

/** Daily snapshots of the last `days` days, oldest first (one row per account per day). */
export async function listHistory(em: EntityManager, account: SocialAccount, days: number, now = new Date()) {
  const since = new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10);
  return em.find(AccountSnapshot, { account, day: { $gte: since } }, { orderBy: { day: 'asc' } });
}
