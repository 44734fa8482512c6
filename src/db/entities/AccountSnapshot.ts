import { Entity, ManyToOne, Property, Unique, type Opt } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { SocialAccount } from './SocialAccount';

/** One row per account per day: a second sync on the same day updates it, history is kept across days. */
@Entity({ tableName: 'account_snapshots' })
@Unique({ properties: ['account', 'day'] })
export class AccountSnapshot extends BaseEntity {
  @ManyToOne({ entity: () => SocialAccount, deleteRule: 'cascade' })
  account!: SocialAccount;

  /** Calendar day (UTC) as YYYY-MM-DD. */
  @Property({ type: 'date' })
  day!: string;

  @Property({ type: 'integer', default: 0 })
  followers: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  following: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  mediaCount: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  postsSynced: Opt<number> = 0;

  @Property({ type: 'double', default: 0 })
  engagementRate: Opt<number> = 0;
}
