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
  workflowRuns?: number;
  historyEvents?: number;
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
    row('wall time', `${seconds.toFixed(1)} s`),
    row('accounts/s', (args.accounts / seconds).toFixed(1)),
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
  if (run.workflowRuns !== undefined)
    lines.push(row('workflows', `${run.workflowRuns} runs, ${run.historyEvents} history events`));
  lines.push(
    row(
      'peak RSS',
      run.peakRssMb === null
        ? 'n/a'
        : `${run.peakRssMb} MB (${run.mode.startsWith('durable') ? 'worker process' : 'baseline process'})`,
    ),
  );
  return lines.join('\n');
}

function row(label: string, value: string): string {
  return `  ${label.padEnd(26)} ${value}`;
}
