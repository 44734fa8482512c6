import { ApplicationFailure } from '@temporalio/common';
import type { PlatformError } from '../src/platforms/errors';
import type { AccountSyncRow } from '../src/sync/persist-sync';
import {
  SYNC_FAILURE_TYPES,
  type SyncAccountActivityInput,
  type SyncAccountActivityResult,
  type SyncFailureDetails,
} from './sync-types';

/** The decisions of one account sync that need no I/O: checks before any call, metric labels, failures. */

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

/** Transient errors are retried by Temporal's policy; anything else is a bug or a bad account: no retry. */
export function toApplicationFailure(error: PlatformError): ApplicationFailure {
  const details: SyncFailureDetails = { errorCode: error.code };
  return ApplicationFailure.create({
    type: error.kind === 'transient' ? SYNC_FAILURE_TYPES.transient : SYNC_FAILURE_TYPES.permanent,
    message: error.message,
    nonRetryable: error.kind !== 'transient',
    details: [details],
  });
}

export function permanentFailure(errorCode: string, message: string): ApplicationFailure {
  const details: SyncFailureDetails = { errorCode };
  return ApplicationFailure.create({
    type: SYNC_FAILURE_TYPES.permanent,
    message,
    nonRetryable: true,
    details: [details],
  });
}

export function safeErrorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
