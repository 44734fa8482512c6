/**
 * The data events socialsync sends to NOTIFY_WEBHOOK_URL (docs/webhooks.md is the catalogue): what changed
 * for an account or the fleet, written to the `outbox` table in the transaction that stored the change and
 * delivered from there (outbox.ts, delivery.ts). A leaf: configuration reads the kinds from here.
 * Bodies carry ids, counters, codes and dates: never a token.
 */

export const EVENT_KINDS = [
  'account.synced',
  'account.reauth_required',
  'account.disconnected',
  'fleet.stale_accounts',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface AccountSyncedData {
  accountId: string;
  ownerId: string;
  platform: string;
  syncedAt: string;
  followers: number;
  /** Against the account's previous snapshot (an earlier sync the same day counts); null for the first one. */
  followersChange: number | null;
  following: number;
  mediaCount: number;
  /** Percent, see docs/api.md "Engagement rate". */
  engagementRate: number;
  /** Of the latest posts this sync read: new ones, and known ones whose caption, links or counts changed. */
  posts: { added: number; updated: number };
}

export interface AccountReauthRequiredData {
  accountId: string;
  ownerId: string;
  platform: string;
  /** `expired`: the token ran out; `reauth_required`: the platform refused it. Either way: reconnect. */
  status: 'reauth_required' | 'expired';
  errorCode: string;
  incidentOpenedAt: string;
}

export interface AccountDisconnectedData {
  accountId: string;
  ownerId: string;
  platform: string;
  disconnectedAt: string;
}

export interface FleetStaleAccountsData {
  staleAfterHours: number;
  /** Active accounts whose data is older than staleAfterHours, all of them. */
  count: number;
  /** The first 50, oldest data first. */
  accountIds: string[];
  byPlatform: Record<string, number>;
  /** The fleet run after which this was checked. */
  fleetWorkflowId: string;
  checkedAt: string;
}

export interface EventData {
  'account.synced': AccountSyncedData;
  'account.reauth_required': AccountReauthRequiredData;
  'account.disconnected': AccountDisconnectedData;
  'fleet.stale_accounts': FleetStaleAccountsData;
}

/** One event as it is written: the stream orders delivery (an account's id, or `fleet`). */
export type NewEvent = {
  [K in EventKind]: {
    kind: K;
    data: EventData[K];
    /** A second append with the same key is ignored (a retried activity that already wrote it). */
    dedupeKey?: string;
  };
}[EventKind];

export const FLEET_STREAM = 'fleet';

/**
 * The JSON a receiver gets, signed as sent. `sentAt` is this attempt's time, inside the signature, so a
 * receiver can refuse a replayed request (docs/webhooks.md: older than 5 minutes); `id` repeats on a retried
 * delivery (also the X-Socialsync-Delivery header); `sequence` grows with every event, so per account a later
 * event always has a higher one.
 */
export interface EventBody<K extends EventKind = EventKind> {
  id: string;
  kind: K;
  sequence: number;
  createdAt: string;
  sentAt: string;
  data: EventData[K];
}

export function isEventKind(value: string): value is EventKind {
  return (EVENT_KINDS as readonly string[]).includes(value);
}
