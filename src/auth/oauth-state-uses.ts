import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UsedOAuthState } from '../db/entities';
import type { OAuthStateClaims } from './tokens';

/**
 * Marks a verified state as used; false when it already was (a replay, or the same redirect loaded twice).
 * Rows past their state's expiry are removed first: such a state fails its signature check before it gets
 * here, so its row protects nothing (a connection is rate limited to 50 a day per user: the table stays tiny).
 */
export async function claimOAuthState(
  em: EntityManager,
  claims: Pick<OAuthStateClaims, 'nonce' | 'expiresAt'>,
): Promise<boolean> {
  await em.nativeDelete(UsedOAuthState, { expiresAt: { $lt: new Date() } });
  try {
    await em.insert(UsedOAuthState, { nonce: claims.nonce, expiresAt: claims.expiresAt });
    return true;
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) return false;
    throw error;
  }
}
