import { Entity, Enum, Property, Unique, type Opt } from '@mikro-orm/core';
import { BaseEntity } from './base';

export const USER_ROLES = ['influencer', 'salon', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

@Entity({ tableName: 'users' })
export class User extends BaseEntity {
  /** Stored lower-cased: emails compare case-insensitively. */
  @Property({ type: 'string', length: 320 })
  @Unique()
  email!: string;

  @Property({ type: 'string', length: 200, default: '' })
  name: Opt<string> = '';

  @Property({ type: 'string', hidden: true })
  passwordHash!: string;

  @Enum({ items: () => USER_ROLES, nativeEnumName: 'user_role' })
  role!: UserRole;

  @Property({ type: 'boolean', default: false })
  verified: Opt<boolean> = false;

  /** One-time sign-up code, hashed; 10-minute life and a few tries. */
  @Property({ type: 'string', nullable: true, hidden: true })
  otpHash?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  otpExpiresAt?: Date | null;

  @Property({ type: 'integer', default: 0 })
  otpAttempts: Opt<number> = 0;
}
