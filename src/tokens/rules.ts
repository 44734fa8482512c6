import type { AccountRow } from '../accounts/store';
import type { RefreshAccountTokenInput } from '../../workflows/contract';

/** The refresh's decisions on a locked, freshly read account row: pure, so they read as rules. */

export function refreshedSince(account: AccountRow, input: RefreshAccountTokenInput): boolean {
  return Boolean(
    input.notRefreshedSince &&
    account.lastRefreshedAt &&
    account.lastRefreshedAt >= new Date(input.notRefreshedSince),
  );
}

export function isDue(accessExpiresAt: Date | null, now: Date, marginMinutes: number): boolean {
  return accessExpiresAt === null || accessExpiresAt.getTime() <= now.getTime() + marginMinutes * 60_000;
}

/**
 * A token past the point of no return: an Instagram token can only be refreshed while still valid; a TikTok
 * account lives as long as its refresh token. Nothing is sent to the platform for these.
 */
export function expiredTokenCode(account: AccountRow, now: Date): string | null {
  if (account.platform === 'instagram') {
    return account.accessExpiresAt && account.accessExpiresAt <= now ? 'IG_TOKEN_EXPIRED' : null;
  }
  return account.refreshExpiresAt && account.refreshExpiresAt <= now ? 'TT_REFRESH_TOKEN_EXPIRED' : null;
}
