import type { EntityManager } from '@mikro-orm/postgresql';
import type { RunSummary, WorkflowClient } from '../../temporal/workflow-client';
import { WORKFLOW_TYPES } from '../../temporal/workflow-client';

const SUCCESS_RATE_DAYS = 7;
const FLEET_RUNS_SHOWN = 5;

/**
 * Refresh success rate = refreshed / (refreshed + reauth_required + expired + failed) over the last 7 days.
 * `skipped` attempts (nothing to do by rule, e.g. an Instagram token under 24 h old) count neither way.
 */
export async function refreshSuccessRate(em: EntityManager, now = new Date()) {
  const since = new Date(now.getTime() - SUCCESS_RATE_DAYS * 86_400_000);
  const rows = await em
    .getConnection()
    .execute<{ outcome: string; count: string }[]>(
      'select "outcome", count(*) as "count" from "token_refresh_attempts" where "created_at" >= ? group by "outcome"',
      [since],
    );
  const byOutcome = Object.fromEntries(rows.map((row) => [row.outcome, Number(row.count)]));
  const refreshed = byOutcome.refreshed ?? 0;
  const unsuccessful = (byOutcome.reauth_required ?? 0) + (byOutcome.expired ?? 0) + (byOutcome.failed ?? 0);
  const decided = refreshed + unsuccessful;
  return {
    days: SUCCESS_RATE_DAYS,
    since: since.toISOString(),
    attempts: Object.values(byOutcome).reduce((sum, count) => sum + count, 0),
    byOutcome,
    successRate: decided === 0 ? null : Number((refreshed / decided).toFixed(4)),
  };
}

export async function accountsByStatusAndPlatform(em: EntityManager) {
  const rows = await em
    .getConnection()
    .execute<{ platform: string; status: string; count: string }[]>(
      'select "platform", "status", count(*) as "count" from "social_accounts" group by "platform", "status" order by 1, 2',
    );
  const byPlatform: Record<string, Record<string, number>> = {};
  const byStatus: Record<string, number> = {};
  for (const row of rows) {
    const count = Number(row.count);
    byPlatform[row.platform] = { ...byPlatform[row.platform], [row.status]: count };
    byStatus[row.status] = (byStatus[row.status] ?? 0) + count;
  }
  return { total: Object.values(byStatus).reduce((sum, count) => sum + count, 0), byStatus, byPlatform };
}

export async function lastFleetRuns(
  workflows: WorkflowClient,
): Promise<{ sync: RunSummary[]; refresh: RunSummary[] }> {
  const [sync, refresh] = await Promise.all([
    workflows.listRecentRuns(WORKFLOW_TYPES.syncAllAccounts, FLEET_RUNS_SHOWN),
    workflows.listRecentRuns(WORKFLOW_TYPES.refreshExpiringTokens, FLEET_RUNS_SHOWN),
  ]);
  return { sync, refresh };
}
