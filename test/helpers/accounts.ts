import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { TokenCipher } from '../../src/crypto/token-cipher';
import { SocialAccount, User, type Platform, type UserRole } from '../../src/db/entities';

/** Inserts a user directly (no API): tests that are not about sign-up need owners for their accounts. */
export async function insertUser(orm: MikroORM, overrides: Partial<Pick<User, 'email' | 'role' | 'verified'>> = {}): Promise<User> {
  const em = orm.em.fork();
  const user = em.create(User, {
    email: overrides.email ?? `user-${randomUUID()}@socialsync.test`,
    passwordHash: 'not-a-real-hash',
    role: (overrides.role ?? 'influencer') as UserRole,
    verified: overrides.verified ?? true,
  });
  await em.flush();
  return user;
}

export interface InsertAccountInput {
  owner: User;
  platform: Platform;
  externalId?: string;
  accessToken: string;
  refreshToken?: string | null;
  accessExpiresAt: Date;
  refreshExpiresAt?: Date | null;
  tokenObtainedAt?: Date;
  lastSyncedAt?: Date | null;
  username?: string;
}

export async function insertAccount(orm: MikroORM, cipher: TokenCipher, input: InsertAccountInput): Promise<SocialAccount> {
  const em = orm.em.fork();
  const account = em.create(SocialAccount, {
    owner: em.getReference(User, input.owner.id),
    platform: input.platform,
    externalId: input.externalId ?? randomUUID(),
    username: input.username ?? 'someone',
    accessTokenEnc: cipher.encrypt(input.accessToken),
    refreshTokenEnc: input.refreshToken ? cipher.encrypt(input.refreshToken) : null,
    accessExpiresAt: input.accessExpiresAt,
    refreshExpiresAt: input.refreshExpiresAt ?? null,
    tokenObtainedAt: input.tokenObtainedAt ?? new Date(),
    lastSyncedAt: input.lastSyncedAt ?? null,
  });
  await em.flush();
  return account;
}
