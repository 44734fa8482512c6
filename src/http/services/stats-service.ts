import type { EntityManager } from '@mikro-orm/postgresql';
import { readFleetFreshness } from '../../accounts/freshness';
import { countAccountsByStatus } from '../../accounts/store';
import type { RunSummary, WorkflowClient } from '../../temporal/workflow-client';
import { refreshExpiringTokensWorkflow, syncAllAccountsWorkflow } from '../../../workflows';

const SUCCESS_RATE_DAYS = 7;
const FLEET_RUNS_SHOWN = 5;

/**
 * Refresh success rate = refreshed / (refreshed + reauth_required + expired + failed) over the last 7 days.
 * `skipped` attempts (nothing to do by rule, e.g. an Instagram token under 24 h old) count neither way.
 */
export async function refreshSuccessRate(em: EntityManager, now = new Date()) {
  const since = new Date(now.getTime() - SUCCESS_RATE_DAYS * 86_400_000);
  const rows: { outcome: string; count: string }[] = await em
    .getKnex()('token_refresh_attempts')
    .select('outcome')
    .count<{ outcome: string; count: string }[]>({ count: '*' })
    .where('created_at', '>=', since)
    .groupBy('outcome');
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
  const byPlatform: Record<string, Record<string, number>> = {};
  const byStatus: Record<string, number> = {};
  for (const { platform, status, count } of await countAccountsByStatus(em.getKnex())) {
    byPlatform[platform] = { ...byPlatform[platform], [status]: count };
    byStatus[status] = (byStatus[status] ?? 0) + count;
  }
  return { total: Object.values(byStatus).reduce((sum, count) => sum + count, 0), byStatus, byPlatform };
}

export async function lastFleetRuns(
  workflows: WorkflowClient,
): Promise<{ sync: RunSummary[]; refresh: RunSummary[] }> {
  const [sync, refresh] = await Promise.all([
    workflows.listRecentRuns(syncAllAccountsWorkflow, FLEET_RUNS_SHOWN),
    workflows.listRecentRuns(refreshExpiringTokensWorkflow, FLEET_RUNS_SHOWN),
  ]);
  return { sync, refresh };
}

/** Per platform: active accounts, synced within 24 h, stale (older than STALE_AFTER_HOURS), oldest data age. */
export async function fleetFreshness(em: EntityManager, staleAfterHours: number, now = new Date()) {
  return {
    staleAfterHours,
    byPlatform: await readFleetFreshness(em.getKnex(), { now, staleAfterHours }),
  };
}
