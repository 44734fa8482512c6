import type { Knex } from '@mikro-orm/postgresql';
import type { AccountStatus, RefreshOutcome } from '../db/entities';
import type { Platform } from '../platforms/types';

/**
 * The worker's access to `social_accounts` and `token_refresh_attempts`: the knex query builder (the API
 * reads the same tables through MikroORM entities). Knex rather than entities here because the token keeper
 * needs `FOR NO KEY UPDATE`, which MikroORM's lock modes lack: it serialises refreshers (it conflicts with
 * itself) without blocking the sync's post and snapshot inserts, whose foreign-key checks take
 * `FOR KEY SHARE` on the account row (a plain `FOR UPDATE` would make every post insert wait for a 10-second
 * platform call). The one raw statement is the transaction's lock timeout, which has no builder form.
 */

/** A connection or an open transaction: every read works on either. */
export type Db = Knex | Knex.Transaction;

/** The account row as the worker sees it: one type for refresh, sync and incidents. */
export interface AccountRow {
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
  lastSyncedAt: Date | null;
  version: number;
}

const ACCOUNT_COLUMNS = {
  id: 'id',
  ownerId: 'owner_id',
  platform: 'platform',
  externalId: 'external_id',
  status: 'status',
  accessTokenEnc: 'access_token_enc',
  refreshTokenEnc: 'refresh_token_enc',
  accessExpiresAt: 'access_expires_at',
  refreshExpiresAt: 'refresh_expires_at',
  tokenObtainedAt: 'token_obtained_at',
  scopes: 'scopes',
  consecutiveFailures: 'consecutive_failures',
  incidentOpenedAt: 'incident_opened_at',
  expiryWarnedAt: 'expiry_warned_at',
  lastRefreshedAt: 'last_refreshed_at',
  lastSyncedAt: 'last_synced_at',
  version: 'version',
} as const;

/** How long a refresher waits for another one holding the row (one platform call, 10 s timeout by default). */
const LOCK_TIMEOUT = '30s';

/** An unlocked read: what a sync or a refresh pre-check decides on. */
export async function readAccount(db: Db, accountId: string): Promise<AccountRow | null> {
  const row = await db('social_accounts').select(ACCOUNT_COLUMNS).where({ id: accountId }).first();
  return row ? toAccountRow(row) : null;
}

/** Locks the account row until the transaction ends, then reads it: every decision is made on fresh state. */
export async function lockAccount(trx: Knex.Transaction, accountId: string): Promise<AccountRow | null> {
  await trx.raw(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
  const row = await trx('social_accounts')
    .select(ACCOUNT_COLUMNS)
    .where({ id: accountId })
    .forNoKeyUpdate()
    .first();
  return row ? toAccountRow(row) : null;
}

/** MikroORM's connection hands timestamps over as strings (it keeps the driver from guessing time zones). */
function toAccountRow(row: Record<keyof AccountRow, unknown>): AccountRow {
  const date = (value: unknown) => (value == null ? null : new Date(value as string | Date));
  return {
    ...(row as unknown as AccountRow),
    accessExpiresAt: date(row.accessExpiresAt),
    refreshExpiresAt: date(row.refreshExpiresAt),
    tokenObtainedAt: date(row.tokenObtainedAt),
    incidentOpenedAt: date(row.incidentOpenedAt),
    expiryWarnedAt: date(row.expiryWarnedAt),
    lastRefreshedAt: date(row.lastRefreshedAt),
    lastSyncedAt: date(row.lastSyncedAt),
  };
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
export async function updateAccount(db: Db, account: AccountRow, changes: AccountChanges): Promise<void> {
  const updated = await db('social_accounts')
    .where({ id: account.id, version: account.version })
    .update({ ...changes, version: account.version + 1, updated_at: db.fn.now() });
  if (updated !== 1) throw new StaleAccountError(account.id);
}

/** The first warning about an expiring token is remembered; a successful refresh clears it. */
export async function markExpiryWarned(db: Db, accountId: string, at: Date): Promise<void> {
  await db('social_accounts')
    .where({ id: accountId })
    .whereNull('expiry_warned_at')
    .update({ expiry_warned_at: at });
}

export interface RefreshAttemptRow {
  accountId: string;
  platform: Platform;
  outcome: RefreshOutcome;
  errorCode: string | null;
  trigger: string;
}

export async function insertRefreshAttempt(db: Db, attempt: RefreshAttemptRow): Promise<void> {
  await db('token_refresh_attempts').insert({
    account_id: attempt.accountId,
    platform: attempt.platform,
    outcome: attempt.outcome,
    error_code: attempt.errorCode,
    trigger: attempt.trigger,
  });
}

/** One entry of a fleet run's page of due accounts: ids and platform only. */
export interface DueAccount {
  id: string;
  platform: Platform;
}

/**
 * Active accounts whose access token expires before `cutoff`, in id order after `after`: an account is
 * handed out at most once per fleet run whatever its refresh does to its expiry.
 */
export async function listDueForRefresh(
  db: Db,
  input: { cutoff: Date; after: string | null; limit: number },
): Promise<DueAccount[]> {
  const query = db('social_accounts')
    .select('id', 'platform')
    .where('status', 'active')
    .andWhere('access_expires_at', '<', input.cutoff)
    .orderBy('id')
    .limit(input.limit);
  if (input.after) query.andWhere('id', '>', input.after);
  return query;
}

/**
 * Active accounts last synced before `dueBefore` (or never), in id order after `after`: keyset paging, so
 * accounts synced meanwhile drop out and none is read twice.
 */
export async function listDueForSync(
  db: Db,
  input: { dueBefore: Date; after: string | null; limit: number; platform?: Platform },
): Promise<DueAccount[]> {
  const query = db('social_accounts')
    .select('id', 'platform')
    .where('status', 'active')
    .andWhere((due) => due.whereNull('last_synced_at').orWhere('last_synced_at', '<', input.dueBefore))
    .orderBy('id')
    .limit(input.limit);
  if (input.after) query.andWhere('id', '>', input.after);
  if (input.platform) query.andWhere('platform', input.platform);
  return query;
}

export interface AccountCount {
  platform: Platform;
  status: AccountStatus;
  count: number;
}

export async function countAccountsByStatus(db: Db): Promise<AccountCount[]> {
  const rows: { platform: Platform; status: AccountStatus; count: string }[] = await db('social_accounts')
    .select('platform', 'status')
    .count<{ platform: Platform; status: AccountStatus; count: string }[]>({ count: '*' })
    .groupBy('platform', 'status')
    .orderBy(['platform', 'status']);
  return rows.map((row) => ({ platform: row.platform, status: row.status, count: Number(row.count) }));
}
