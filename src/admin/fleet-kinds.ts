import type {
  RefreshExpiringTokensResult,
  RefreshFleetCounters,
  RefreshFleetProgress,
  SyncAllAccountsResult,
  SyncFleetProgress,
} from '../../workflows/contract';
import type { ProgressView } from './progress-reporter';

/** How the admin command shows one kind of fleet run: its progress query answer and its result. */
export interface FleetKind<Progress, Result> {
  label: string;
  title: string;
  toView(progress: Progress): ProgressView;
  finalView(result: Result): ProgressView;
  summarize(workflowId: string, result: Result): string;
}

export const SYNC_FLEET: FleetKind<SyncFleetProgress, SyncAllAccountsResult> = {
  label: 'sync',
  title: 'Fleet sync',
  toView: (p) => ({
    done: p.done,
    total: p.found,
    totalKnown: p.allFound,
    details:
      joinCounts([
        [p.succeeded, 'synced'],
        [p.skipped, 'skipped'],
        [p.reauthRequired, 'reauth required'],
        [p.failed, 'failed'],
        [p.inFlight, 'in flight'],
      ]) + (p.rateLimitedUntil ? `, waiting for quota until ${p.rateLimitedUntil.slice(11, 19)}Z` : ''),
  }),
  finalView: (r) => ({
    done: r.done,
    total: r.found,
    totalKnown: true,
    details: joinCounts([
      [r.succeeded, 'synced'],
      [r.skipped, 'skipped'],
      [r.reauthRequired, 'reauth required'],
      [r.failed, 'failed'],
    ]),
  }),
  summarize: (workflowId, r) =>
    [
      `Fleet sync ${workflowId} completed in ${seconds(r.durationMs)} (${plural(r.runs, 'run')})`,
      `  accounts  ${r.found} found, ${r.done} done: ${r.succeeded} synced, ${r.skipped} skipped, ` +
        `${r.reauthRequired} reauth required, ${r.failed} failed`,
      `  rate      ${r.accountsPerSecond} accounts/s`,
      ...r.failures.map((failure) => `  failed    ${failure.accountId} ${failure.errorCode}`),
    ].join('\n'),
};

export const REFRESH_FLEET: FleetKind<RefreshFleetProgress, RefreshExpiringTokensResult> = {
  label: 'refresh',
  title: 'Token refresh',
  toView: (p) => ({
    done: p.considered - p.inFlight,
    total: p.considered,
    totalKnown: p.done,
    details: refreshCounts(p) + `, ${p.inFlight} in flight`,
  }),
  finalView: (r) => ({
    done: r.considered,
    total: r.considered,
    totalKnown: true,
    details: refreshCounts(r),
  }),
  summarize: (workflowId, r) =>
    [
      `Token refresh ${workflowId} completed in ${seconds(r.durationMs)} (${plural(r.runs, 'run')}, ` +
        `window ${plural(r.windowDays, 'day')})`,
      `  accounts  ${r.considered} considered: ${refreshCounts(r)}`,
    ].join('\n'),
};

function refreshCounts(c: RefreshFleetCounters): string {
  return joinCounts([
    [c.refreshed, 'refreshed'],
    [c.skipped, 'skipped'],
    [c.notDue, 'not due'],
    [c.reauthRequired, 'reauth required'],
    [c.expired, 'expired'],
    [c.failed, 'failed'],
  ]);
}

function joinCounts(counts: [number, string][]): string {
  return counts.map(([count, word]) => `${count} ${word}`).join(', ');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
