import { Entity, Index, ManyToOne, Property, Unique, type Opt } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { User } from './User';

export const NOTIFICATION_KINDS = ['reauth_required', 'token_expired', 'token_expiring'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

@Entity({ tableName: 'notifications' })
@Index({ properties: ['user', 'createdAt'] })
export class Notification extends BaseEntity {
  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'string', length: 50 })
  kind!: NotificationKind;

  /** Ids, platform, error code, dates: never a token. */
  @Property({ type: 'json', default: '{}' })
  payload: Opt<Record<string, unknown>> = {};

  /** Makes "notify once per incident" idempotent under activity retries, e.g. `reauth:<account>:<incident>`. */
  @Property({ type: 'string', length: 200, nullable: true })
  @Unique()
  dedupeKey?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  readAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  deliveredAt?: Date | null;
}
