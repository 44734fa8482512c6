import type { Knex } from '@mikro-orm/postgresql';
import type { NotificationKind } from '../db/entities';
import { appendEvent } from '../webhooks/outbox';
import { awaitsWebhook, createNotificationOnce, type StoredNotification } from './notifications';
import {
  lockAccount,
  markExpiryWarned,
  updateAccount,
  type AccountChanges,
  type AccountRow,
  type Db,
} from './store';

/**
 * Incidents: an account taken out of service (re-authorisation needed, token expired) and its owner told
 * once. An incident lasts from the moment the account leaves `active` until a successful refresh or a
 * reconnection clears `incident_opened_at`; the notification's dedupe key names the incident, so retries, a
 * concurrent sync and the fleet run all converge on one notification. Opening an incident also appends one
 * `account.reauth_required` data event (src/webhooks/events.ts) in the same transaction.
 */

export interface OpenIncidentInput {
  status: 'reauth_required' | 'expired';
  kind: Extract<NotificationKind, 'reauth_required' | 'token_expired'>;
  errorCode: string;
  now: Date;
  /** Written in the same versioned update, e.g. the failure count. */
  alsoSet?: AccountChanges;
}

/** On a row locked by the caller's transaction. */
export async function openIncident(
  trx: Knex.Transaction,
  account: AccountRow,
  input: OpenIncidentInput,
): Promise<StoredNotification> {
  const continuing = account.status === input.status && account.incidentOpenedAt !== null;
  const openedAt = continuing ? account.incidentOpenedAt! : input.now;
  if (!continuing || input.alsoSet) {
    await updateAccount(trx, account, {
      ...input.alsoSet,
      status: input.status,
      ...(continuing ? {} : { last_error_code: input.errorCode, incident_opened_at: openedAt }),
    });
  }
  if (!continuing) {
    // The caller holds the row lock: the event's place in the account's order is its commit order.
    await appendEvent(trx, account.id, {
      kind: 'account.reauth_required',
      data: {
        accountId: account.id,
        ownerId: account.ownerId,
        platform: account.platform,
        status: input.status,
        errorCode: input.errorCode,
        incidentOpenedAt: openedAt.toISOString(),
      },
    });
  }
  return createNotificationOnce(trx, {
    userId: account.ownerId,
    kind: input.kind,
    dedupeKey: `${input.kind}:${account.id}:${openedAt.toISOString()}`,
    payload: {
      accountId: account.id,
      platform: account.platform,
      errorCode: continuing ? undefined : input.errorCode,
      incidentOpenedAt: openedAt.toISOString(),
    },
  });
}

export interface ReauthIncident {
  /** The incident's notification (created now or earlier); null when the account is gone or not active. */
  notificationId: string | null;
  /** True when a webhook is configured and the notification has not been delivered yet. */
  deliver: boolean;
  /** Set when this call opened the incident (the first caller), for the log. */
  opened: { platform: AccountRow['platform'] } | null;
}

/**
 * The platform revoked access: the account becomes `reauth_required` with the error code, and its owner gets
 * one notification per incident. An account already expired or disconnected is left alone: its owner knows,
 * a re-authorisation notice would be noise.
 */
export async function markReauthRequired(
  db: Knex,
  input: { accountId: string; errorCode: string; now: Date; webhookUrl: string | undefined },
): Promise<ReauthIncident> {
  return db.transaction(async (trx) => {
    const account = await lockAccount(trx, input.accountId);
    if (!account || (account.status !== 'active' && account.status !== 'reauth_required')) {
      return { notificationId: null, deliver: false, opened: null };
    }
    const notification = await openIncident(trx, account, {
      status: 'reauth_required',
      kind: 'reauth_required',
      errorCode: input.errorCode,
      now: input.now,
    });
    return {
      notificationId: notification.id,
      deliver: awaitsWebhook(notification, input.webhookUrl),
      opened: notification.created ? { platform: account.platform } : null,
    };
  });
}

/**
 * `token_expiring`, once per expiry date: when a token we cannot extend (a TikTok refresh token, an Instagram
 * token that keeps failing) expires within `warnDays`. Keyed by the expiry it warns about, so a TikTok
 * refresh that keeps the same fixed refresh-token expiry never warns twice.
 */
export async function warnExpiringOnce(
  db: Db,
  account: Pick<AccountRow, 'id' | 'ownerId' | 'platform'>,
  input: { tokenKind: 'access' | 'refresh'; expiresAt: Date; now: Date; warnDays: number },
): Promise<StoredNotification | null> {
  const warnFrom = input.expiresAt.getTime() - input.warnDays * 86_400_000;
  if (input.now.getTime() < warnFrom || input.expiresAt <= input.now) return null;
  const notification = await createNotificationOnce(db, {
    userId: account.ownerId,
    kind: 'token_expiring',
    dedupeKey: `token_expiring:${account.id}:${input.tokenKind}:${input.expiresAt.toISOString()}`,
    payload: {
      accountId: account.id,
      platform: account.platform,
      tokenKind: input.tokenKind,
      expiresAt: input.expiresAt.toISOString(),
    },
  });
  await markExpiryWarned(db, account.id, input.now);
  return notification;
}
