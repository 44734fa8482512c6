/**
 * What workflows, the worker, the API and the CLI agree on: task queue, workflow ids, schedule ids, queries,
 * search attributes and payload types. Imported by workflow code, so it stays deterministic and free of
 * Node APIs and src/** imports. Payloads carry ids and counters only: never a token.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery } from '@temporalio/workflow';

export const DEFAULT_TASK_QUEUE = 'socialsync';

export const SCHEDULE_IDS = {
  tokenRefresh: 'token-refresh-daily',
  dataSync: 'data-sync-daily',
} as const;

export type Platform = 'instagram' | 'tiktok';
/** Who started a workflow; a search attribute so operators can filter in the Web UI. */
export type TriggeredBy = 'schedule' | 'api' | 'admin' | 'cli';

export const ACCOUNT_ID_SEARCH_ATTRIBUTE = defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD);
export const PLATFORM_SEARCH_ATTRIBUTE = defineSearchAttributeKey('Platform', SearchAttributeType.KEYWORD);
export const TRIGGERED_BY_SEARCH_ATTRIBUTE = defineSearchAttributeKey(
  'TriggeredBy',
  SearchAttributeType.KEYWORD,
);

// Workflow ids come only from these functions: one place decides what "the same work" means.
export function makeSyncAccountWorkflowId(accountId: string): string {
  return `sync-account-${accountId}`;
}

export function makeRefreshAccountTokenWorkflowId(accountId: string): string {
  return `refresh-token-${accountId}`;
}

/** Scheduled runs get this id with a timestamp appended by Temporal; on-demand runs pass a run key. */
export function makeSyncAllAccountsWorkflowId(runKey?: string): string {
  return runKey ? `sync-all-accounts-${runKey}` : 'sync-all-accounts';
}

export function makeRefreshExpiringTokensWorkflowId(runKey?: string): string {
  return runKey ? `refresh-expiring-tokens-${runKey}` : 'refresh-expiring-tokens';
}

/** Every long-running socialsync workflow answers this query with its own progress type. */
export const progressQuery = defineQuery<unknown>('progress');

// Payloads of each area live in their own file; every caller imports them from here.
export * from './sync-payloads';
export * from './refresh-payloads';

/** Error types of ApplicationFailures thrown by activities for platform errors (activities/platform-failure.ts). */
export const PLATFORM_FAILURE_TYPES = {
  auth_revoked: 'PlatformAuthRevoked',
  permission_missing: 'PlatformPermissionMissing',
  invalid_request: 'PlatformInvalidRequest',
  rate_limited: 'PlatformRateLimited',
  transient: 'PlatformTransient',
} as const;
/** The failures after which only the user can help (re-authorisation): never retried. */
export const REAUTH_FAILURE_TYPES: readonly string[] = [
  PLATFORM_FAILURE_TYPES.auth_revoked,
  PLATFORM_FAILURE_TYPES.permission_missing,
];
/** A stored token that the current keys cannot decrypt: an operator problem, never retried, never blamed on the user. */
export const TOKEN_UNREADABLE_FAILURE_TYPE = 'TokenUnreadable';
/** The webhook receiver refused a notification for good (a 4xx other than 429): not retried. */
export const WEBHOOK_REJECTED_FAILURE_TYPE = 'WebhookRejected';

/** One delivery workflow per notification: starting it twice is harmless. */
export function makeDeliverNotificationWorkflowId(notificationId: string): string {
  return `deliver-notification-${notificationId}`;
}

export interface DeliverNotificationInput {
  notificationId: string;
}
