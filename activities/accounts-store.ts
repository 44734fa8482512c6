import type { EntityManager } from '@mikro-orm/postgresql';
import type { AccountStatus, Platform, RefreshOutcome } from '../src/db/entities';

/**
 * SQL for the account row as the token keeper sees it. Raw SQL because the lock mode matters and MikroORM
 * has no `FOR NO KEY UPDATE`: it serialises refreshers (it conflicts with itself) without blocking the
 * sync's post and snapshot inserts, whose foreign-key checks take `FOR KEY SHARE` on this row (a plain
 * `FOR UPDATE` would make every insert of a post wait for a 10-second platform call).
 */
export interface LockedAccount {
  id: string;
  ownerId: string;
  platform: Platform;
  externalId: string;
  status: AccountStatus;
  accessTokenEnc: string | null;
  refreshTokenEnc: string | null;
  accessExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
  tokenObtainedAt: Date | null;
  scopes: string | null;
  consecutiveFailures: number;
  incidentOpenedAt: Date | null;
  expiryWarnedAt: Date | null;
  lastRefreshedAt: Date | null;
  version: number;
}

const SELECT_COLUMNS = `id, owner_id as "ownerId", platform, external_id as "externalId", status,
  access_token_enc as "accessTokenEnc", refresh_token_enc as "refreshTokenEnc",
  access_expires_at as "accessExpiresAt", refresh_expires_at as "refreshExpiresAt",
  token_obtained_at as "tokenObtainedAt", scopes, consecutive_failures as "consecutiveFailures",
  incident_opened_at as "incidentOpenedAt", expiry_warned_at as "expiryWarnedAt",
  last_refreshed_at as "lastRefreshedAt", version`;

/** How long a refresher waits for another one holding the row (one platform call, 10 s timeout by default). */
const LOCK_TIMEOUT = '30s';

/** Locks the account row until the transaction ends, then reads it: every decision is made on fresh state. */
export async function lockAccount(tx: EntityManager, accountId: string): Promise<LockedAccount | null> {
  await tx.execute(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
  const rows = await tx.execute<LockedAccount[]>(
    `select ${SELECT_COLUMNS} from social_accounts where id = ? for no key update`,
    [accountId],
  );
  return rows[0] ? normalize(rows[0]) : null;
}

/** Unlocked read of what decides whether a refresh is due (a cheap pre-check before taking the lock). */
export async function readAccountExpiry(
  em: EntityManager,
  accountId: string,
): Promise<{ status: AccountStatus; accessExpiresAt: Date | null } | null> {
  const rows = await em.execute<{ status: AccountStatus; accessExpiresAt: Date | null }[]>(
    'select status, access_expires_at as "accessExpiresAt" from social_accounts where id = ?',
    [accountId],
  );
  return rows[0] ? { status: rows[0].status, accessExpiresAt: toDate(rows[0].accessExpiresAt) } : null;
}

export class StaleAccountError extends Error {
  constructor(accountId: string) {
    super(`account ${accountId} changed since it was read (optimistic lock)`);
    this.name = 'StaleAccountError';
  }
}

export type AccountChanges = Partial<{
  access_token_enc: string;
  refresh_token_enc: string;
  access_expires_at: Date;
  refresh_expires_at: Date | null;
  token_obtained_at: Date;
  scopes: string | null;
  status: AccountStatus;
  last_error_code: string | null;
  consecutive_failures: number;
  incident_opened_at: Date | null;
  expiry_warned_at: Date | null;
  last_refreshed_at: Date;
}>;

/**
 * Writes only if the row still has the version that was read: a refresh computed from a stale read can never
 * overwrite a newer token, even if some future code path forgets the row lock.
 */
export async function updateAccount(
  tx: EntityManager,
  account: LockedAccount,
  changes: AccountChanges,
): Promise<void> {
  const columns = Object.keys(changes);
  const assignments = columns.map((column) => `"${column}" = ?`).join(', ');
  const values = columns.map((column) => changes[column as keyof AccountChanges] ?? null);
  const result = await tx.execute<{ affectedRows: number }>(
    `update social_accounts set ${assignments}, version = version + 1, updated_at = now() where id = ? and version = ?`,
    [...values, account.id, account.version],
    'run',
  );
  if (result.affectedRows !== 1) throw new StaleAccountError(account.id);
}

export async function insertRefreshAttempt(
  em: EntityManager,
  attempt: {
    accountId: string;
    platform: Platform;
    outcome: RefreshOutcome;
    errorCode: string | null;
    trigger: string;
  },
): Promise<void> {
  await em.execute(
    'insert into token_refresh_attempts (account_id, platform, outcome, error_code, trigger) values (?, ?, ?, ?, ?)',
    [attempt.accountId, attempt.platform, attempt.outcome, attempt.errorCode, attempt.trigger],
    'run',
  );
}

function normalize(row: LockedAccount): LockedAccount {
  return {
    ...row,
    accessExpiresAt: toDate(row.accessExpiresAt),
    refreshExpiresAt: toDate(row.refreshExpiresAt),
    tokenObtainedAt: toDate(row.tokenObtainedAt),
    incidentOpenedAt: toDate(row.incidentOpenedAt),
    expiryWarnedAt: toDate(row.expiryWarnedAt),
    lastRefreshedAt: toDate(row.lastRefreshedAt),
  };
}

function toDate(value: Date | string | null): Date | null {
  return value == null ? null : new Date(value);
}
