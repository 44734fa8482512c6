import type { Knex } from '@mikro-orm/postgresql';
import type { Db } from '../accounts/store';
import type { OutboxStatus } from '../db/entities';
import type { NewEvent } from './events';

/**
 * The `outbox` table: data events written in the transaction of the change they describe (the transactional
 * outbox), then claimed, delivered and marked by the drainer (delivery.ts). A crash can neither lose an
 * event (it is committed with its data) nor send one for data that was rolled back (it rolled back too).
 *
 * Order: events of one stream (an account, or `fleet`) are delivered in `seq` order. `seq` is taken at
 * insert, not at commit, so writers append only once they hold the account's row lock (persist.ts updates
 * the row first, incidents lock it, a disconnect locks it): two transactions writing for the same account
 * then get their `seq` in the order they commit.
 */

/**
 * Retryable failures are retried for a day after the event was written (a receiver down over a night and a
 * morning still gets everything); after that the next failure makes it dead.
 */
export const DELIVER_FOR_MS = 24 * 3_600_000;
/** Delivered and skipped events are kept this long for the admin view and investigations, then deleted. */
export const KEEP_FINISHED_MS = 7 * 24 * 3_600_000;

/** Appends one event; with a dedupe key already present nothing is written and null is returned. */
export async function appendEvent(db: Db, streamKey: string, event: NewEvent): Promise<string | null> {
  const rows: { id: string }[] = await db('outbox')
    .insert({
      kind: event.kind,
      stream_key: streamKey,
      payload: JSON.stringify(event.data),
      dedupe_key: event.dedupeKey ?? null,
      give_up_at: db.raw(`now() + make_interval(secs => ?)`, [DELIVER_FOR_MS / 1000]),
    })
    .onConflict('dedupe_key')
    .ignore()
    .returning('id');
  return rows[0]?.id ?? null;
}

export interface ClaimedEvent {
  id: string;
  seq: number;
  kind: string;
  streamKey: string;
  payload: Record<string, unknown>;
  attempts: number;
  createdAt: Date;
}

/**
 * Due pending events whose stream has no earlier event still waiting for its retry: a stream whose head
 * failed stays blocked behind it, so its events are never delivered out of order.
 */
function dueEvents(db: Db, now: Date): Knex.QueryBuilder {
  return db('outbox as o')
    .where('o.status', 'pending')
    .andWhere('o.next_attempt_at', '<=', now)
    .whereNotExists((blocked) =>
      blocked
        .select(db.raw('1'))
        .from('outbox as e')
        .where('e.status', 'pending')
        .andWhereRaw('e.stream_key = o.stream_key')
        .andWhereRaw('e.seq < o.seq')
        .andWhere('e.next_attempt_at', '>', now),
    );
}

/** The due events (see dueEvents), oldest first. */
export async function claimDueEvents(db: Db, input: { now: Date; limit: number }): Promise<ClaimedEvent[]> {
  const rows: Record<string, unknown>[] = await dueEvents(db, input.now)
    .select('o.id', 'o.seq', 'o.kind', 'o.stream_key', 'o.payload', 'o.attempts', 'o.created_at')
    .orderBy('o.seq')
    .limit(input.limit);
  return rows.map((row) => ({
    id: row.id as string,
    seq: Number(row.seq),
    kind: row.kind as string,
    streamKey: row.stream_key as string,
    payload: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<
      string,
      unknown
    >,
    attempts: row.attempts as number,
    createdAt: new Date(row.created_at as string),
  }));
}

/**
 * Whether claimDueEvents would find something: the drainer's cheap idle check. The same condition, so an
 * event blocked behind its stream's failed head does not wake the drainer into an empty batch.
 */
export async function hasDueEvents(db: Db, now: Date): Promise<boolean> {
  const row = await dueEvents(db, now).select(db.raw('1')).first();
  return row !== undefined;
}

/**
 * Marks skipped the pending events that will not be sent (no webhook configured, or a kind WEBHOOK_EVENTS
 * leaves out); answers how many of each kind.
 */
export async function skipUnsentEvents(
  db: Db,
  input: { sentKinds: readonly string[]; now: Date },
): Promise<Record<string, number>> {
  const query = db('outbox').where('status', 'pending');
  if (input.sentKinds.length > 0) query.whereNotIn('kind', input.sentKinds);
  const rows: { kind: string }[] = await query
    .update({ status: 'skipped', updated_at: input.now })
    .returning('kind');
  const byKind: Record<string, number> = {};
  for (const { kind } of rows) byKind[kind] = (byKind[kind] ?? 0) + 1;
  return byKind;
}

/** The first delivery is kept: a repeat (after a crash between the receiver's 2xx and this) changes nothing. */
export async function markDelivered(db: Db, ids: readonly string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db('outbox')
    .whereIn('id', ids)
    .andWhere('status', 'pending')
    .update({
      status: 'delivered',
      delivered_at: at,
      last_attempt_at: at,
      attempts: db.raw('attempts + 1'),
      updated_at: at,
    });
}

export interface FailedAttempt {
  id: string;
  at: Date;
  /** `HTTP_503`, `NETWORK`, `TIMEOUT`, `HTTP_400`... */
  error: string;
  httpStatus: number | null;
  /** The receiver refused it for good: dead now, whatever the deadline. */
  final: boolean;
  /** When to try again (capped at the event's deadline, so the last attempt is made at the deadline). */
  retryAt: Date;
}

/** Records a failed attempt; answers what the event is now (null: it was no longer pending). */
export async function recordFailedAttempt(db: Db, attempt: FailedAttempt): Promise<OutboxStatus | null> {
  const rows: { status: OutboxStatus }[] = await db('outbox')
    .where({ id: attempt.id, status: 'pending' })
    .update({
      attempts: db.raw('attempts + 1'),
      last_attempt_at: attempt.at,
      last_error: attempt.error.slice(0, 100),
      last_http_status: attempt.httpStatus,
      updated_at: attempt.at,
      status: db.raw(
        `case when ? or give_up_at <= ? then 'dead'::outbox_status else 'pending'::outbox_status end`,
        [attempt.final, attempt.at],
      ),
      next_attempt_at: db.raw('least(?::timestamptz, give_up_at)', [attempt.retryAt]),
    })
    .returning('status');
  return rows[0]?.status ?? null;
}

export interface OutboxOverview {
  counts: Record<OutboxStatus, number>;
  /** The oldest pending event's creation, null when none waits. */
  oldestPendingAt: Date | null;
  /** The most recent failed attempt of any event (delivered since or not). */
  lastError: {
    eventId: string;
    kind: string;
    error: string;
    httpStatus: number | null;
    at: Date;
    status: OutboxStatus;
  } | null;
  dead: DeadEvent[];
}

export interface DeadEvent {
  id: string;
  kind: string;
  streamKey: string;
  attempts: number;
  lastError: string | null;
  lastHttpStatus: number | null;
  createdAt: Date;
  lastAttemptAt: Date | null;
}

/** What an admin sees: counts by status, the oldest pending event, the last error, the newest dead events. */
export async function readOutboxOverview(db: Db, input: { deadLimit: number }): Promise<OutboxOverview> {
  const [counts, oldest, lastError, dead] = await Promise.all([
    db('outbox').select('status').count({ count: '*' }).groupBy('status') as Promise<
      { status: OutboxStatus; count: string }[]
    >,
    db('outbox').min({ at: 'created_at' }).where('status', 'pending').first() as Promise<
      { at: string | Date | null } | undefined
    >,
    db('outbox')
      .select('id', 'kind', 'last_error', 'last_http_status', 'last_attempt_at', 'status')
      .whereNotNull('last_error')
      .orderByRaw('last_attempt_at desc nulls last')
      .first(),
    db('outbox')
      .select(
        'id',
        'kind',
        'stream_key',
        'attempts',
        'last_error',
        'last_http_status',
        'created_at',
        'last_attempt_at',
      )
      .where('status', 'dead')
      .orderByRaw('last_attempt_at desc nulls last')
      .limit(input.deadLimit),
  ]);
  const byStatus: Record<OutboxStatus, number> = { pending: 0, delivered: 0, dead: 0, skipped: 0 };
  for (const row of counts) byStatus[row.status] = Number(row.count);
  return {
    counts: byStatus,
    oldestPendingAt: oldest?.at ? new Date(oldest.at) : null,
    lastError: lastError
      ? {
          eventId: lastError.id,
          kind: lastError.kind,
          error: lastError.last_error,
          httpStatus: lastError.last_http_status,
          at: new Date(lastError.last_attempt_at),
          status: lastError.status,
        }
      : null,
    dead: dead.map((row: Record<string, unknown>) => ({
      id: row.id as string,
      kind: row.kind as string,
      streamKey: row.stream_key as string,
      attempts: row.attempts as number,
      lastError: (row.last_error as string | null) ?? null,
      lastHttpStatus: (row.last_http_status as number | null) ?? null,
      createdAt: new Date(row.created_at as string),
      lastAttemptAt: row.last_attempt_at ? new Date(row.last_attempt_at as string) : null,
    })),
  };
}

/**
 * A dead event goes back to pending, due now, with a fresh day of retries. It keeps its `seq`: its stream's
 * later events may have been delivered meanwhile, which `sequence` in the body lets a receiver see.
 */
export async function retryDeadEvent(
  db: Db,
  id: string,
  now: Date,
): Promise<'retried' | 'not_found' | 'not_dead'> {
  const updated = await db('outbox')
    .where({ id, status: 'dead' })
    .update({
      status: 'pending',
      next_attempt_at: now,
      give_up_at: new Date(now.getTime() + DELIVER_FOR_MS),
      updated_at: now,
    });
  if (updated === 1) return 'retried';
  const exists = await db('outbox').select('id').where({ id }).first();
  return exists ? 'not_dead' : 'not_found';
}

/** Deletes delivered and skipped events older than KEEP_FINISHED_MS, at most `limit` a call. */
export async function pruneFinishedEvents(db: Db, input: { now: Date; limit: number }): Promise<number> {
  const before = new Date(input.now.getTime() - KEEP_FINISHED_MS);
  return db('outbox')
    .whereIn(
      'id',
      db('outbox')
        .select('id')
        .whereIn('status', ['delivered', 'skipped'])
        .andWhere('updated_at', '<', before)
        .limit(input.limit),
    )
    .delete();
}
