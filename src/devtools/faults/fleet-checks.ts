import type { SyncAllAccountsResult } from '../../../workflows/contract';
import type { Deployment, FleetSync } from './fault-stack';
import { FLEET_TIMEOUT_MS, type ScenarioContext } from './scenario';

/** What a fleet sync under a fault left behind, read from the database and the simulator's request log. */
export interface FleetFigures {
  completed: boolean;
  error: string | null;
  accounts: number;
  /** Accounts whose last sync is from this run (database). */
  synced: number;
  /**
   * Accounts this run did not sync. Every account of the suite is active, due and holds a valid token, and no
   * other sync runs: one that is not synced (whatever the run called it, failed or skipped) is lost.
   */
  lost: number;
  /** Rows written twice (posts per platform id, snapshots per day) plus accounts the run counted twice. */
  duplicates: number;
  /** Accounts whose profile the platform served more than once in this run (a retry after a crash). */
  refetched: number;
  durationMs: number;
  /** The run's own failure list, by error code. */
  failureCodes: Record<string, number>;
  result: SyncAllAccountsResult | null;
}

/** Waits (bounded) until at least `count` accounts are synced in this run; false if they were not in time. */
export async function waitForSynced(
  deployment: Deployment,
  fleet: FleetSync,
  count: number,
  timeoutMs = 300_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const synced = await deployment.syncedSince(fleet.startedAt).catch(() => 0);
    if (synced >= count) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/** Waits (up to FLEET_TIMEOUT_MS) for the fleet sync to end, then reads what it left behind. */
export async function fleetFigures(
  context: ScenarioContext,
  deployment: Deployment,
  fleet: FleetSync,
): Promise<FleetFigures> {
  const simulator = context.stack.simulator.control;
  const { result, error } = await fleet.outcome(FLEET_TIMEOUT_MS);
  const durationMs = result?.durationMs ?? Date.now() - fleet.startedAt.getTime();
  const db = deployment.db;
  const accounts = Number((await db.query('select count(*)::int as n from social_accounts')).rows[0].n);
  const synced = await deployment.syncedSince(fleet.startedAt);
  const duplicatePosts = Number(
    (
      await db.query(
        'select coalesce(sum(n - 1), 0)::int as n from (select count(*) as n from posts group by account_id, platform_id) t',
      )
    ).rows[0].n,
  );
  const duplicateSnapshots = Number(
    (
      await db.query(
        'select coalesce(sum(n - 1), 0)::int as n from (select count(*) as n from account_snapshots group by account_id, day) t',
      )
    ).rows[0].n,
  );
  const countedTwice = result ? Math.max(0, result.done - accounts) : 0;
  const log = await simulator.requestLog();
  let refetched = 0;
  for (const endpoints of Object.values(log.accounts)) {
    const profile = endpoints['instagram.me'] ?? endpoints['tiktok.user_info'];
    if (profile && profile.ok > 1) refetched++;
  }
  const failureCodes: Record<string, number> = {};
  for (const failure of result?.failures ?? [])
    failureCodes[failure.errorCode] = (failureCodes[failure.errorCode] ?? 0) + 1;
  return {
    completed: result !== null,
    error,
    accounts,
    synced,
    lost: accounts - synced,
    duplicates: duplicatePosts + duplicateSnapshots + countedTwice,
    refetched,
    durationMs,
    failureCodes,
    result,
  };
}

/** Held: the run completed, every account synced (or skipped for its own reasons), nothing written twice. */
export function fleetHeld(figures: FleetFigures): boolean {
  return figures.completed && figures.lost === 0 && figures.duplicates === 0 && figures.result?.failed === 0;
}

export function describeFleet(figures: FleetFigures, undisturbedMs: number | null): string {
  const parts = [
    figures.completed ? `completed in ${seconds(figures.durationMs)}` : `NOT completed (${figures.error})`,
  ];
  if (undisturbedMs) parts[0] += ` (${signedPercent(figures.durationMs / undisturbedMs - 1)} vs undisturbed)`;
  parts.push(`synced ${figures.synced}/${figures.accounts}`, `accounts lost ${figures.lost}`);
  parts.push(`duplicates ${figures.duplicates}`, `refetched ${figures.refetched}`);
  if (figures.result?.skipped) parts.push(`run reports ${figures.result.skipped} skipped`);
  if (figures.result?.failed) {
    const codes = Object.entries(figures.failureCodes)
      .map(([code, count]) => `${JSON.stringify(code)} x${count}`)
      .join(', ');
    parts.push(`run reports ${figures.result.failed} failed (${codes})`);
  }
  return parts.join(', ');
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function signedPercent(fraction: number): string {
  const percent = Math.round(fraction * 100);
  return `${percent >= 0 ? '+' : ''}${percent} %`;
}
