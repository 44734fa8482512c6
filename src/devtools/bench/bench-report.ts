import type { EndpointId, Simulator } from '../simulator';
import type { Platform } from '../../platforms/types';
import { accountsPerPlatform, type BenchArgs } from './bench-args';

export interface RunFigures {
  mode: 'durable (Temporal)' | 'baseline (plain Node, no Temporal)';
  wallMs: number;
  succeeded: number;
  failed: number;
  skipped: number;
  reauthRequired: number;
  peakRssMb: number | null;
  /** CPU time (user + system) of the process under test over the whole run, start-up included. */
  cpuMs: number | null;
  /** The same of the Temporal dev server (durable runs). */
  temporalCpuMs?: number | null;
  workflowRuns?: number;
  historyEvents?: number;
  /** Set when the run hit --max-wall-s: accounts done by then. */
  timedOutAfterDone?: number;
  /** Reservations each budget holds at the end (the whole run's when it lasted under one window). */
  budgetCharged?: Record<string, number>;
  disturbedAccounts?: number;
}

const ENDPOINTS: Record<Platform, EndpointId[]> = {
  instagram: ['instagram.me', 'instagram.media'],
  tiktok: ['tiktok.user_info', 'tiktok.video_list'],
};

/** The benchmark's printout: one line per figure, so runs paste and compare well. */
export function formatReport(args: BenchArgs, simulator: Simulator, run: RunFigures): string {
  const counts = accountsPerPlatform(args);
  const seconds = run.wallMs / 1000;
  const lines = [
    `socialsync data-sync benchmark: ${run.mode}`,
    row('accounts', `${args.accounts} (instagram ${counts.instagram}, tiktok ${counts.tiktok})`),
    row('platform latency', `${args.latencyMs} ms per call`),
    row('concurrency', String(args.concurrency)),
    row('tiktok quota', `${args.tiktokQuota} calls/min per endpoint (simulator and budgets)`),
    row('pages', args.shortPages ? 'short (2 fewer than asked while more remain)' : 'full'),
    row(
      '429 bursts',
      run.disturbedAccounts
        ? `${run.disturbedAccounts} accounts x ${args.rateLimitedBurst} on their media calls, ` +
            (args.retryAfterSeconds === null ? 'no Retry-After' : `Retry-After ${args.retryAfterSeconds} s`)
        : 'none',
    ),
    row(
      'wall time',
      `${seconds.toFixed(1)} s` +
        (run.timedOutAfterDone === undefined
          ? ''
          : ` (gave up at --max-wall-s: ${run.timedOutAfterDone} accounts done)`),
    ),
    row('accounts/s', ((run.timedOutAfterDone ?? args.accounts) / seconds).toFixed(1)),
    row(
      'outcome',
      `synced ${run.succeeded}, failed ${run.failed}, skipped ${run.skipped}, reauth ${run.reauthRequired}`,
    ),
  ];
  let throttled = 0;
  for (const platform of ['instagram', 'tiktok'] as const) {
    if (counts[platform] === 0) continue;
    for (const endpoint of ENDPOINTS[platform]) {
      const stats = simulator.control.endpointStats(endpoint);
      throttled += stats.throttled + (stats.byStatus['429'] ?? 0) * (stats.throttled === 0 ? 1 : 0);
      const quota =
        platform === 'tiktok'
          ? `${args.tiktokQuota} (${((100 * stats.maxInWindow) / args.tiktokQuota).toFixed(1)} % of quota)`
          : 'no app-wide cap';
      lines.push(
        row(
          `calls ${endpoint}`,
          `${stats.total} total, peak ${stats.maxInWindow} in any ${stats.windowMs / 1000} s window vs ${quota}`,
        ),
      );
    }
  }
  lines.push(row('429s / throttled', String(throttled)));
  lines.push(row('calls per account', callsPerAccount(simulator, counts)));
  for (const [key, charged] of Object.entries(run.budgetCharged ?? {}))
    lines.push(row(`budget ${key}`, `${charged} calls charged in the last window`));
  if (run.workflowRuns !== undefined)
    lines.push(row('workflows', `${run.workflowRuns} runs, ${run.historyEvents} history events`));
  if (run.cpuMs !== null) lines.push(row('CPU', `${(run.cpuMs / 1000).toFixed(1)} s (${processName(run)})`));
  if (run.temporalCpuMs)
    lines.push(row('CPU', `${(run.temporalCpuMs / 1000).toFixed(1)} s (Temporal dev server)`));
  lines.push(row('peak RSS', run.peakRssMb === null ? 'n/a' : `${run.peakRssMb} MB (${processName(run)})`));
  return lines.join('\n');
}

function processName(run: RunFigures): string {
  return run.mode.startsWith('durable') ? 'worker process' : 'baseline process';
}

function row(label: string, value: string): string {
  return `  ${label.padEnd(26)} ${value}`;
}

/** Data calls each account made (profile + media, refused ones included), from the simulator's request log. */
function callsPerAccount(simulator: Simulator, counts: Record<Platform, number>): string {
  const totals: number[] = [];
  for (const platform of ['instagram', 'tiktok'] as const) {
    for (const account of simulator.control.listAccounts(platform, { limit: counts[platform] })) {
      const stats = simulator.control.accountStats(platform, account.externalId);
      totals.push(ENDPOINTS[platform].reduce((sum, endpoint) => sum + (stats[endpoint]?.total ?? 0), 0));
    }
  }
  if (totals.length === 0) return 'n/a';
  const mean = totals.reduce((a, b) => a + b, 0) / totals.length;
  return `max ${Math.max(...totals)}, mean ${mean.toFixed(2)}`;
}

/** The cost of durability on this machine, in this invocation: both runs saw the same load. */
export function formatComparison(durable: RunFigures, baseline: RunFigures): string {
  const lines = [
    'durable vs baseline (same invocation, same machine)',
    `  time ratio (durable / baseline)  ${(durable.wallMs / baseline.wallMs).toFixed(2)}`,
  ];
  if (durable.peakRssMb && baseline.peakRssMb)
    lines.push(`  RSS ratio (worker / baseline)    ${(durable.peakRssMb / baseline.peakRssMb).toFixed(2)}`);
  return lines.join('\n');
}
