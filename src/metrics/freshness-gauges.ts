import type { Knex } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { readFleetFreshness, type PlatformFreshness } from '../accounts/freshness';
import type { Platform } from '../platforms/types';
import type { WorkerMetrics } from './worker-metrics';

/**
 * socialsync_accounts_stale and socialsync_oldest_sync_age_seconds: set after every fleet sync (the
 * checkFleetFreshness activity) and, in every worker, at least every 10 minutes, so an alert on "data older
 * than 36 h" fires even when no fleet run comes (a paused schedule, a stuck worker).
 */
export const FRESHNESS_REFRESH_MS = 10 * 60_000;

export function setFreshnessGauges(
  metrics: Pick<WorkerMetrics, 'accountsStale' | 'oldestSyncAge'>,
  freshness: Record<Platform, PlatformFreshness>,
): void {
  for (const [platform, numbers] of Object.entries(freshness)) {
    metrics.accountsStale.set({ platform }, numbers.stale);
    metrics.oldestSyncAge.set({ platform }, numbers.oldestSyncAgeSeconds);
  }
}

export interface FreshnessGaugesInput {
  db: Knex;
  metrics: Pick<WorkerMetrics, 'accountsStale' | 'oldestSyncAge'>;
  staleAfterHours: number;
  now: () => Date;
  logger: Logger;
  intervalMs?: number;
}

/** Sets the gauges now and then every `intervalMs`; a failed read keeps the last values and is logged. */
export function startFreshnessGauges(input: FreshnessGaugesInput): { stop(): void } {
  const refresh = () =>
    readFleetFreshness(input.db, { now: input.now(), staleAfterHours: input.staleAfterHours })
      .then((freshness) => setFreshnessGauges(input.metrics, freshness))
      .catch((error: Error) => input.logger.warn({ err: error.name }, 'freshness gauges not updated'));
  void refresh();
  const timer = setInterval(() => void refresh(), input.intervalMs ?? FRESHNESS_REFRESH_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
