import { BigIntType, Entity, Index, ManyToOne, Property, Unique, type Opt } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { SocialAccount } from './SocialAccount';

/** A post or video, upserted by (account, platform id) so retries and re-syncs never duplicate it. */
@Entity({ tableName: 'posts' })
@Unique({ properties: ['account', 'platformId'] })
@Index({ properties: ['account', 'publishedAt', 'id'] })
export class Post extends BaseEntity {
  @ManyToOne({ entity: () => SocialAccount, deleteRule: 'cascade' })
  account!: SocialAccount;

  @Property({ type: 'text' })
  platformId!: string;

  /** IMAGE, VIDEO, CAROUSEL_ALBUM, REELS (Instagram) or VIDEO (TikTok). */
  @Property({ type: 'string', length: 40 })
  type!: string;

  @Property({ type: 'text', nullable: true })
  caption?: string | null;

  @Property({ type: 'text', nullable: true })
  permalink?: string | null;

  @Property({ type: 'text', nullable: true })
  mediaUrl?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  publishedAt!: Date;

  @Property({ type: 'integer', default: 0 })
  likes: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  comments: Opt<number> = 0;

  @Property({ type: 'integer', nullable: true })
  shares?: number | null;

  @Property({ type: new BigIntType('number'), nullable: true })
  views?: number | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  lastSeenAt: Opt<Date> = new Date();
}
