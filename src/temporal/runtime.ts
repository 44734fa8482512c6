import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

const PINO_LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Must run before any worker or NativeConnection is created: it installs the SDK's Prometheus exporter and
 * routes the SDK's logs into pino. The exporter listens on an internal 127.0.0.1 address only; the worker's
 * public /metrics (src/metrics/metrics-server.ts) serves its text next to socialsync's own series.
 */
export function installTemporalRuntime({
  sdkMetricsPort,
  logger,
}: {
  sdkMetricsPort: number | null;
  logger: Logger;
}): void {
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => {
      logger[PINO_LEVELS[level]]({ ...meta, source: 'temporal-sdk' }, message);
    }),
    telemetryOptions: sdkMetricsPort
      ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkMetricsPort}` } } }
      : undefined,
  });
}
