import { Context } from '@temporalio/activity';
import type { Activities } from '../../activities';
import type { RefreshTokenResult } from '../../src/tokens/refresh';
import type { RefreshAccountTokenInput } from '../../workflows/contract';

/** The activities the refresh workflows call, as fakes: workflow tests on the time-skipping server (docs/architecture.md: real parts at the edges, fakes in the middle). */
export type RefreshActivities = Pick<
  Activities,
  | 'refreshAccountToken'
  | 'recordRefreshFailure'
  | 'markAccountReauthRequired'
  | 'deliverNotificationWebhook'
  | 'getRefreshFleetSettings'
  | 'findAccountsDueForRefresh'
  | 'countAccountsByStatus'
>;

export interface RefreshCall {
  input: RefreshAccountTokenInput;
  attempt: number;
  /** Server time when the first attempt was scheduled (skipped time on the time-skipping server). */
  scheduledAtMs: number;
}

export interface FakeRefreshWorld {
  activities: RefreshActivities;
  refreshCalls: RefreshCall[];
  reauthMarks: Array<{ accountId: string; errorCode: string }>;
  failures: Array<{ accountId: string; errorCode: string }>;
  deliveries: string[];
  maxInFlight: () => number;
}

export interface FakeWorldOptions {
  accountIds?: string[];
  /** Decides each attempt; default: refreshed. Throw to fail the attempt. */
  refresh?: (call: RefreshCall) => Promise<RefreshTokenResult> | RefreshTokenResult;
  refreshDelayMs?: number;
  failureOutcome?: 'failed' | 'expired';
  settings?: { windowDays: number; concurrency: number; spacingMs: number };
}

export function createFakeRefreshWorld(options: FakeWorldOptions = {}): FakeRefreshWorld {
  const accountIds = [...(options.accountIds ?? [])].sort();
  const world = {
    refreshCalls: [] as RefreshCall[],
    reauthMarks: [] as FakeRefreshWorld['reauthMarks'],
    failures: [] as FakeRefreshWorld['failures'],
    deliveries: [] as string[],
  };
  let inFlight = 0;
  let maxInFlight = 0;
  const activities: RefreshActivities = {
    async refreshAccountToken(input) {
      const { info } = Context.current();
      const call = { input, attempt: info.attempt, scheduledAtMs: info.scheduledTimestampMs };
      world.refreshCalls.push(call);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (options.refreshDelayMs)
          await new Promise((resolve) => setTimeout(resolve, options.refreshDelayMs));
        return options.refresh
          ? await options.refresh(call)
          : { outcome: 'refreshed', platform: 'tiktok', notificationIds: [] };
      } finally {
        inFlight--;
      }
    },
    async recordRefreshFailure(input) {
      world.failures.push({ accountId: input.accountId, errorCode: input.errorCode });
      const outcome = options.failureOutcome ?? 'failed';
      return {
        outcome,
        consecutiveFailures: 1,
        notificationIds: outcome === 'expired' ? [`expired-${input.accountId}`] : [],
      };
    },
    async markAccountReauthRequired(input) {
      world.reauthMarks.push(input);
      return { notificationId: `reauth-${input.accountId}`, deliver: true };
    },
    async deliverNotificationWebhook(input) {
      world.deliveries.push(input.notificationId);
      return { status: 'delivered', httpStatus: 204 };
    },
    async getRefreshFleetSettings() {
      return options.settings ?? { windowDays: 7, concurrency: 10, spacingMs: 0 };
    },
    async findAccountsDueForRefresh(input) {
      const after = input.after?.id;
      const page = accountIds.filter((id) => !after || id > after).slice(0, input.limit);
      return {
        cutoff: input.cutoff ?? '2030-01-08T00:00:00.000Z',
        asOf: '2030-01-01T00:00:00.000Z',
        accounts: page.map((id) => ({
          id,
          platform: 'tiktok' as const,
          accessExpiresAt: '2030-01-02T00:00:00.000Z',
        })),
      };
    },
    async countAccountsByStatus() {
      return [];
    },
  };
  return { ...world, activities, maxInFlight: () => maxInFlight };
}

export function accountIds(count: number, prefix = 'acct'): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}-${String(index).padStart(4, '0')}`);
}
