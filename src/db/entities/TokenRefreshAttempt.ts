import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { PLATFORMS, type Platform } from '../../platforms/types';
import { SocialAccount } from './SocialAccount';

export const REFRESH_OUTCOMES = ['refreshed', 'skipped', 'reauth_required', 'failed', 'expired'] as const;
export type RefreshOutcome = (typeof REFRESH_OUTCOMES)[number];

/** One row per refresh attempt: the admin stats' 7-day success rate and an audit trail. */
@Entity({ tableName: 'token_refresh_attempts' })
@Index({ properties: ['createdAt'] })
export class TokenRefreshAttempt extends BaseEntity {
  @ManyToOne({ entity: () => SocialAccount, deleteRule: 'cascade', index: true })
  account!: SocialAccount;

  @Enum({ items: () => PLATFORMS, nativeEnumName: 'platform' })
  platform!: Platform;

  @Enum({ items: () => REFRESH_OUTCOMES, nativeEnumName: 'refresh_outcome' })
  outcome!: RefreshOutcome;

  @Property({ type: 'string', length: 100, nullable: true })
  errorCode?: string | null;

  /** What asked for it: fleet, jit, api, admin. */
  @Property({ type: 'string', length: 20 })
  trigger!: string;
}
