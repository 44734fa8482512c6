import type { AccountRow } from '../../src/accounts/store';
import { expiredTokenCode, isDue, refreshedSince } from '../../src/tokens/rules';

const now = new Date('2030-01-01T00:00:00Z');
const minutes = (n: number) => new Date(now.getTime() + n * 60_000);
const account = (changes: Partial<AccountRow>): AccountRow =>
  ({
    platform: 'tiktok',
    accessExpiresAt: null,
    refreshExpiresAt: null,
    lastRefreshedAt: null,
    ...changes,
  }) as AccountRow;

describe('refresh rules', () => {
  it('is due when the access token expires within the margin, or its expiry is unknown', () => {
    expect(isDue(minutes(9), now, 10)).toBe(true);
    expect(isDue(minutes(10), now, 10)).toBe(true);
    expect(isDue(minutes(11), now, 10)).toBe(false);
    expect(isDue(null, now, 10)).toBe(true);
  });

  it('treats an account refreshed at or after the cut-off as done', () => {
    const input = { accountId: 'a', trigger: 'fleet' as const, notRefreshedSince: now.toISOString() };
    expect(refreshedSince(account({ lastRefreshedAt: minutes(0) }), input)).toBe(true);
    expect(refreshedSince(account({ lastRefreshedAt: minutes(-1) }), input)).toBe(false);
    expect(refreshedSince(account({ lastRefreshedAt: null }), input)).toBe(false);
    expect(refreshedSince(account({ lastRefreshedAt: minutes(5) }), { accountId: 'a', trigger: 'api' })).toBe(
      false,
    );
  });

  it('calls a token dead by the Instagram access expiry or the TikTok refresh expiry only', () => {
    expect(expiredTokenCode(account({ platform: 'instagram', accessExpiresAt: minutes(-1) }), now)).toBe(
      'IG_TOKEN_EXPIRED',
    );
    expect(expiredTokenCode(account({ platform: 'instagram', accessExpiresAt: minutes(1) }), now)).toBeNull();
    // A TikTok access token that expired is routine: the refresh token still works.
    expect(
      expiredTokenCode(account({ accessExpiresAt: minutes(-600), refreshExpiresAt: minutes(1) }), now),
    ).toBeNull();
    expect(expiredTokenCode(account({ refreshExpiresAt: minutes(-1) }), now)).toBe(
      'TT_REFRESH_TOKEN_EXPIRED',
    );
  });
});
