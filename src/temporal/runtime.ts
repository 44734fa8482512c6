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
 * Must run before any worker or NativeConnection is created: it installs the SDK's Prometheus exporter
 * (Temporal runtime metrics on the worker's /metrics port) and routes the SDK's logs into pino.
 */
export function installTemporalRuntime({ metricsPort, logger }: { metricsPort: number; logger: Logger }): void {
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => {
      logger[PINO_LEVELS[level]]({ ...meta, source: 'temporal-sdk' }, message);
    }),
    telemetryOptions: metricsPort
      ? { metrics: { prometheus: { bindAddress: `0.0.0.0:${metricsPort}` } } }
      : undefined,
  });
}
