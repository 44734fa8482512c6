import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The worker's own Prometheus series (the Temporal SDK's runtime metrics are served beside them, see
 * metrics-server.ts). Created once in start-worker.ts and passed to activities in their deps.
 */
export interface WorkerMetrics {
  registry: Registry;
  refreshAttempts: Counter<'platform' | 'outcome' | 'reason'>;
  syncAccounts: Counter<'platform' | 'outcome' | 'reason'>;
  syncDuration: Histogram<'platform'>;
  refreshDuration: Histogram<'platform' | 'outcome'>;
  platformCalls: Counter<'platform' | 'endpoint' | 'outcome'>;
  accountsByStatus: Gauge<'platform' | 'status'>;
  accountsStale: Gauge<'platform'>;
  oldestSyncAge: Gauge<'platform'>;
  webhookEvents: Counter<'kind' | 'outcome'>;
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  return {
    registry,
    refreshAttempts: new Counter({
      name: 'socialsync_token_refresh_attempts_total',
      help: 'Token refresh attempts by platform, outcome (refreshed, skipped, reauth_required, failed, expired) and reason',
      labelNames: ['platform', 'outcome', 'reason'],
      registers: [registry],
    }),
    syncAccounts: new Counter({
      name: 'socialsync_account_syncs_total',
      help: 'Per-account data sync attempts by platform, outcome (synced, skipped, deferred, reauth_required, failed) and reason',
      labelNames: ['platform', 'outcome', 'reason'],
      registers: [registry],
    }),
    syncDuration: new Histogram({
      name: 'socialsync_account_sync_duration_seconds',
      help: 'Duration of one account sync activity',
      labelNames: ['platform'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    refreshDuration: new Histogram({
      name: 'socialsync_token_refresh_duration_seconds',
      help: 'Duration of one token refresh attempt (row lock wait, platform call, store) by platform and outcome',
      labelNames: ['platform', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    platformCalls: new Counter({
      name: 'socialsync_platform_calls_total',
      help: 'HTTP calls to Instagram and TikTok by endpoint and outcome (ok or the error kind)',
      labelNames: ['platform', 'endpoint', 'outcome'],
      registers: [registry],
    }),
    accountsByStatus: new Gauge({
      name: 'socialsync_accounts',
      help: 'Accounts by platform and status, as of the last fleet run',
      labelNames: ['platform', 'status'],
      registers: [registry],
    }),
    accountsStale: new Gauge({
      name: 'socialsync_accounts_stale',
      help: 'Active accounts whose data is older than STALE_AFTER_HOURS (never synced: counted from connection), after every fleet sync and every 10 minutes',
      labelNames: ['platform'],
      registers: [registry],
    }),
    oldestSyncAge: new Gauge({
      name: 'socialsync_oldest_sync_age_seconds',
      help: 'Age of the oldest data among active accounts (last sync, or connection when never synced), 0 without active accounts',
      labelNames: ['platform'],
      registers: [registry],
    }),
    webhookEvents: new Counter({
      name: 'socialsync_webhook_events_total',
      help: 'Data event outcomes by kind: delivered, retry (a failed attempt that will be retried), dead, skipped (not sent: no URL or a kind WEBHOOK_EVENTS leaves out)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
  };
}
