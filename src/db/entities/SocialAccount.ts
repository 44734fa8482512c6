import { Entity, Enum, Index, ManyToOne, Property, Unique, type Opt } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { PLATFORMS, type Platform } from '../../platforms/types';
import { User } from './User';

export const ACCOUNT_STATUSES = ['active', 'reauth_required', 'expired', 'disconnected'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/**
 * A connected Instagram or TikTok account. Tokens are stored only encrypted (src/crypto); `version` is an
 * optimistic lock so a refresh computed from a stale read can never overwrite a newer token.
 */
@Entity({ tableName: 'social_accounts' })
@Unique({ properties: ['platform', 'externalId'] })
// The fleet queries: tokens expiring soon, and accounts due for a sync, both among active accounts.
@Index({
  name: 'social_accounts_active_expiry_idx',
  expression:
    'create index "social_accounts_active_expiry_idx" on "social_accounts" ("access_expires_at", "id") where "status" = \'active\'',
})
@Index({
  name: 'social_accounts_active_sync_idx',
  expression:
    'create index "social_accounts_active_sync_idx" on "social_accounts" ("last_synced_at" nulls first, "id") where "status" = \'active\'',
})
export class SocialAccount extends BaseEntity {
  @ManyToOne({ entity: () => User, deleteRule: 'cascade', index: true })
  owner!: User;

  @Enum({ items: () => PLATFORMS, nativeEnumName: 'platform' })
  platform!: Platform;

  /** Instagram user ids exceed 2^53: always text, never a number. TikTok: the open_id. */
  @Property({ type: 'text' })
  externalId!: string;

  @Property({ type: 'string', length: 200, default: '' })
  username: Opt<string> = '';

  @Property({ type: 'string', length: 300, nullable: true })
  displayName?: string | null;

  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  accessTokenEnc?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  accessExpiresAt?: Date | null;

  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  refreshTokenEnc?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  refreshExpiresAt?: Date | null;

  /** When the current access token was issued: Instagram refuses to refresh a token under 24 h old. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  tokenObtainedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  scopes?: string | null;

  @Enum({ items: () => ACCOUNT_STATUSES, nativeEnumName: 'account_status', default: 'active' })
  status: Opt<AccountStatus> = 'active';

  @Property({ type: 'string', length: 100, nullable: true })
  lastErrorCode?: string | null;

  @Property({ type: 'integer', default: 0 })
  consecutiveFailures: Opt<number> = 0;

  /** Set when an incident (re-auth needed, expiry) opened; notifications are sent once per incident. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  incidentOpenedAt?: Date | null;

  /** Set when the owner was warned that a token is about to expire; cleared by a successful refresh. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  expiryWarnedAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  lastRefreshedAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  lastSyncedAt?: Date | null;

  @Property({ type: 'integer', default: 0 })
  followers: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  following: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  mediaCount: Opt<number> = 0;

  /** Percent, see README "Engagement rate". */
  @Property({ type: 'double', default: 0 })
  engagementRate: Opt<number> = 0;

  @Property({ type: 'integer', version: true, default: 1 })
  version: Opt<number> = 1;
}
