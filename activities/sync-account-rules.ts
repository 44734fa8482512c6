import type { AccountSyncRow } from '../src/sync/persist-sync';
import type { SyncAccountActivityInput, SyncAccountActivityResult } from './sync-types';

/** The decisions of one account sync that need no I/O: checks before any call, metric labels. */

/** The checks that need no platform call; null when the account should be synced now. */
export function checkBeforeCalls(
  account: AccountSyncRow | null,
  input: SyncAccountActivityInput,
  at: Date,
  marginMinutes: number,
): SyncAccountActivityResult | null {
  if (!account) return { kind: 'skipped', platform: null, reason: 'not_found' };
  const { platform } = account;
  if (account.status !== 'active') return { kind: 'skipped', platform, reason: 'not_active' };
  if (input.dueBefore && account.lastSyncedAt && account.lastSyncedAt >= new Date(input.dueBefore))
    return { kind: 'skipped', platform, reason: 'recently_synced' };
  if (!account.accessTokenEnc) return { kind: 'auth_revoked', platform, errorCode: 'TOKEN_MISSING' };
  const expiresSoon =
    account.accessExpiresAt !== null &&
    account.accessExpiresAt.getTime() - at.getTime() <= marginMinutes * 60_000;
  if (expiresSoon && !input.skipTokenCheck) return { kind: 'needs_token_refresh', platform, marginMinutes };
  return null;
}

export function metricLabels(result: SyncAccountActivityResult): [string, string] {
  switch (result.kind) {
    case 'synced':
      return ['synced', ''];
    case 'skipped':
      return ['skipped', result.reason];
    case 'busy':
      return ['skipped', 'sync_in_progress'];
    case 'auth_revoked':
      return ['reauth_required', result.errorCode];
    case 'rate_limited':
      return ['deferred', result.reason];
    case 'needs_token_refresh':
      return ['deferred', 'token_refresh'];
  }
}

export function safeErrorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
