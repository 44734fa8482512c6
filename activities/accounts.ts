import { markReauthRequired } from '../src/accounts/incidents';
import { countAccountsByStatus as countByStatus, type AccountCount } from '../src/accounts/store';
import { activityLogger } from './context';
import type { ActivityDeps } from './deps';

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

  return { markAccountReauthRequired, countAccountsByStatus };
}
