import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { TokenCipher } from '../../src/crypto/token-cipher';
import { SocialAccount, User, type UserRole } from '../../src/db/entities';
import type { Platform } from '../../src/platforms/types';
import type { Simulator } from '../../src/devtools/simulator';

/** Inserts a user directly (no API): tests that are not about sign-up need owners for their accounts. */
export async function insertUser(
  orm: MikroORM,
  overrides: Partial<Pick<User, 'email' | 'role' | 'verified'>> = {},
): Promise<User> {
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

export async function insertAccount(
  orm: MikroORM,
  cipher: TokenCipher,
  input: InsertAccountInput,
): Promise<SocialAccount> {
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

export interface ConnectedAccount {
  platform: Platform;
  externalId: string;
  account: SocialAccount;
  accessToken: string;
  refreshToken: string | null;
}

export interface ConnectAccountOptions {
  /** Posts of the simulator account; default none. */
  postCount?: number;
  /** When the simulator issued the tokens; default its clock's now. */
  issuedAt?: Date;
  /** Overrides the access token expiry the database believes (the simulator keeps its own). */
  accessExpiresAt?: Date;
  lastSyncedAt?: Date | null;
}

/**
 * A new simulator account connected in the database with tokens the simulator issued, stored as an OAuth
 * exchange would have stored them.
 */
export async function seedConnectedAccount(
  stack: { simulator: Simulator; orm: MikroORM; cipher: TokenCipher },
  owner: User,
  platform: Platform,
  options: ConnectAccountOptions = {},
): Promise<ConnectedAccount> {
  const control = stack.simulator.control;
  const { externalId } = control.addAccount(platform, { postCount: options.postCount ?? 0 });
  const tokens = control.issueTokens(platform, externalId, { issuedAt: options.issuedAt });
  const account = await insertAccount(stack.orm, stack.cipher, {
    owner,
    platform,
    externalId,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessExpiresAt: options.accessExpiresAt ?? tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    tokenObtainedAt: tokens.obtainedAt,
    lastSyncedAt: options.lastSyncedAt ?? null,
  });
  return {
    platform,
    externalId,
    account,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
  };
}

/** What a seeded account suffers on the platform. */
export type PlatformTrouble = 'revoked' | 'flaky';

/**
 * revoked: the owner withdrew access (on Instagram by changing the password), so every call is refused;
 * flaky: the account's next two calls fail transiently, so a third attempt succeeds.
 */
export function causeTrouble(
  simulator: Simulator,
  account: Pick<ConnectedAccount, 'platform' | 'externalId'>,
  trouble: PlatformTrouble,
): void {
  const { platform, externalId } = account;
  if (trouble === 'revoked')
    simulator.control.invalidateTokens(
      platform,
      externalId,
      platform === 'instagram' ? 'password_changed' : 'revoked',
    );
  else simulator.control.failNextCalls(platform, externalId, 2, { failure: 'transient' });
}
