import { BigIntType, Entity, Enum, Index, Property, Unique, type Opt } from '@mikro-orm/core';
import { BaseEntity } from './base';

export const OUTBOX_STATUSES = ['pending', 'delivered', 'dead', 'skipped'] as const;
/**
 * pending: waits for (or between) delivery attempts. delivered: the receiver answered 2xx. dead: refused for
 * good (4xx other than 408/429) or still failing a day after it was written; an admin can retry it.
 * skipped: not sent, because NOTIFY_WEBHOOK_URL is unset or WEBHOOK_EVENTS leaves its kind out.
 */
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/**
 * One data event (src/webhooks/events.ts), written in the transaction that stored the change it describes
 * and delivered from here by the webhook drainer (src/webhooks/delivery.ts). The worker reads and writes
 * the table with knex (src/webhooks/outbox.ts); this entity gives the table its migrations.
 */
@Entity({ tableName: 'outbox' })
// The drainer's claim: the oldest pending events of each stream.
@Index({
  name: 'outbox_pending_stream_idx',
  expression:
    'create index "outbox_pending_stream_idx" on "outbox" ("stream_key", "seq") where "status" = \'pending\'',
})
@Index({ properties: ['status', 'updatedAt'] })
export class OutboxEvent extends BaseEntity {
  /** Insertion order. Writers append after locking the account row, so per account it is commit order. */
  @Property({ type: new BigIntType('number'), autoincrement: true })
  seq!: Opt<number>;

  @Property({ type: 'string', length: 60 })
  kind!: string;

  /** Events of one stream are delivered one after the other, in `seq` order: an account id, or `fleet`. */
  @Property({ type: 'string', length: 100 })
  streamKey!: string;

  /** The event's `data`: ids, counters, codes and dates, never a token. */
  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  /** A second append of the same key is ignored, e.g. `fleet.stale_accounts:<fleet run>`. */
  @Property({ type: 'string', length: 200, nullable: true })
  @Unique()
  dedupeKey?: string | null;

  @Enum({ items: () => OUTBOX_STATUSES, nativeEnumName: 'outbox_status', default: 'pending' })
  status: Opt<OutboxStatus> = 'pending';

  @Property({ type: 'integer', default: 0 })
  attempts: Opt<number> = 0;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  nextAttemptAt: Opt<Date> = new Date();

  /** A retryable failure at or after this instant makes the event dead (src/webhooks/outbox.ts sets it). */
  @Property({ type: 'datetime', columnType: 'timestamptz' })
  giveUpAt!: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  lastAttemptAt?: Date | null;

  /** e.g. `HTTP_503`, `NETWORK`, `TIMEOUT`: never the receiver's body. */
  @Property({ type: 'string', length: 100, nullable: true })
  lastError?: string | null;

  @Property({ type: 'integer', nullable: true })
  lastHttpStatus?: number | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  deliveredAt?: Date | null;
}
