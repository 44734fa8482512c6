import type { EntityManager } from '@mikro-orm/postgresql';
import type { NotificationKind } from '../src/db/entities';
import { updateAccount, type AccountChanges, type LockedAccount } from './accounts-store';
import { createNotificationOnce, type StoredNotification } from './notifications-store';

export interface OpenIncidentInput {
  status: 'reauth_required' | 'expired';
  kind: Extract<NotificationKind, 'reauth_required' | 'token_expired'>;
  errorCode: string;
  now: Date;
  /** Written in the same versioned update, e.g. the failure count. */
  alsoSet?: AccountChanges;
}

/**
 * Takes a locked account out of service and notifies its owner once per incident. An incident lasts from
 * the moment the account leaves `active` until a successful refresh or a reconnection clears
 * `incidentOpenedAt`; the notification's dedupe key names the incident, so retries, a concurrent sync and
 * the fleet run all converge on one notification.
 */
export async function openIncident(
  tx: EntityManager,
  account: LockedAccount,
  input: OpenIncidentInput,
): Promise<StoredNotification> {
  const continuing = account.status === input.status && account.incidentOpenedAt !== null;
  const openedAt = continuing ? account.incidentOpenedAt! : input.now;
  if (!continuing || input.alsoSet) {
    await updateAccount(tx, account, {
      ...input.alsoSet,
      status: input.status,
      ...(continuing ? {} : { last_error_code: input.errorCode, incident_opened_at: openedAt }),
    });
  }
  return createNotificationOnce(tx, {
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

/**
 * `token_expiring`, once per expiry date: when a token we cannot extend (a TikTok refresh token, an Instagram
 * token that keeps failing) expires within `warnDays`. Keyed by the expiry it warns about, so a TikTok
 * refresh that keeps the same fixed refresh-token expiry never warns twice.
 */
export async function warnExpiringOnce(
  tx: EntityManager,
  account: Pick<LockedAccount, 'id' | 'ownerId' | 'platform'>,
  input: { tokenKind: 'access' | 'refresh'; expiresAt: Date; now: Date; warnDays: number },
): Promise<StoredNotification | null> {
  const warnFrom = input.expiresAt.getTime() - input.warnDays * 86_400_000;
  if (input.now.getTime() < warnFrom || input.expiresAt <= input.now) return null;
  const notification = await createNotificationOnce(tx, {
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
  await tx.execute(
    'update social_accounts set expiry_warned_at = ? where id = ? and expiry_warned_at is null',
    [input.now, account.id],
    'run',
  );
  return notification;
}
