import { listStaleAccountIds, readFleetFreshness } from '../src/accounts/freshness';
import { markReauthRequired } from '../src/accounts/incidents';
import { countAccountsByStatus as countByStatus, type AccountCount } from '../src/accounts/store';
import { setFreshnessGauges } from '../src/metrics/freshness-gauges';
import { FLEET_STREAM } from '../src/webhooks/events';
import { appendEvent } from '../src/webhooks/outbox';
import type { CheckFleetFreshnessInput } from '../workflows/contract';
import { activityLogger } from './context';
import type { ActivityDeps } from './deps';

/** Ids carried by a fleet.stale_accounts event: enough to start looking, small enough for any receiver. */
const STALE_IDS_IN_EVENT = 50;

export interface CheckFleetFreshnessResult {
  stale: number;
  /** The fleet.stale_accounts event written now (null: nothing stale, or written by an earlier attempt). */
  eventId: string | null;
}

export interface MarkAccountReauthRequiredInput {
  accountId: string;
  /** The platform's code, e.g. `TT_invalid_grant`, `IG_190_460`. */
  errorCode: string;
}

export interface MarkAccountReauthRequiredResult {
  /** This incident's notification (created now or earlier); null when the account is gone or not active. */
  notificationId: string | null;
  /** True when NOTIFY_WEBHOOK_URL is set and the notification has not been delivered yet. */
  deliver: boolean;
}

/** Account-state changes shared by the refresh and sync workflows. Each is idempotent under retries. */
export function createAccountActivities(deps: ActivityDeps) {
  const db = deps.orm.em.getKnex();

  /** The platform revoked access: `reauth_required` and one notification per incident (src/accounts/incidents.ts). */
  async function markAccountReauthRequired(
    input: MarkAccountReauthRequiredInput,
  ): Promise<MarkAccountReauthRequiredResult> {
    const incident = await markReauthRequired(db, {
      ...input,
      now: deps.now(),
      webhookUrl: deps.config.notifications.webhookUrl,
    });
    if (incident.opened) {
      activityLogger(deps.logger, { accountId: input.accountId }).info(
        { platform: incident.opened.platform, errorCode: input.errorCode },
        'account needs re-authorisation',
      );
    }
    return { notificationId: incident.notificationId, deliver: incident.deliver };
  }

  /** Sets the accounts-by-status gauge from the database (end of every fleet run); returns the counts. */
  async function countAccountsByStatus(): Promise<AccountCount[]> {
    const counts = await countByStatus(db);
    deps.metrics.accountsByStatus.reset();
    for (const row of counts)
      deps.metrics.accountsByStatus.set({ platform: row.platform, status: row.status }, row.count);
    return counts;
  }

  /**
   * After a fleet data sync: sets the freshness gauges and, when any active account is stale, appends one
   * fleet.stale_accounts event for this fleet run (its dedupe key: a retried attempt writes nothing more).
   */
  async function checkFleetFreshness(input: CheckFleetFreshnessInput): Promise<CheckFleetFreshnessResult> {
    const now = deps.now();
    const { staleAfterHours } = deps.config.freshness;
    const freshness = await readFleetFreshness(db, { now, staleAfterHours });
    setFreshnessGauges(deps.metrics, freshness);
    const byPlatform = Object.fromEntries(
      Object.entries(freshness).map(([platform, numbers]) => [platform, numbers.stale]),
    );
    const stale = Object.values(byPlatform).reduce((sum, count) => sum + count, 0);
    if (stale === 0) return { stale, eventId: null };
    const accountIds = await listStaleAccountIds(db, { now, staleAfterHours, limit: STALE_IDS_IN_EVENT });
    const eventId = await appendEvent(db, FLEET_STREAM, {
      kind: 'fleet.stale_accounts',
      dedupeKey: `fleet.stale_accounts:${input.fleetRunId}`,
      data: {
        staleAfterHours,
        count: stale,
        accountIds,
        byPlatform,
        fleetWorkflowId: input.fleetWorkflowId,
        checkedAt: now.toISOString(),
      },
    });
    activityLogger(deps.logger, {}).warn(
      { stale, byPlatform, staleAfterHours },
      'stale accounts after fleet sync',
    );
    return { stale, eventId };
  }

  return { markAccountReauthRequired, countAccountsByStatus, checkFleetFreshness };
}
