import { ConfigError, loadConfig, type Config } from '../config';
import { createLogger, type Logger } from '../logger';

export interface Booted {
  config: Config;
  logger: Logger;
}

/**
 * Loads configuration for a start-* process. A bad or missing setting ends the process with exit code 1
 * and one line per bad variable, before anything connects anywhere.
 */
export function bootOrExit(serviceName: string, env: NodeJS.ProcessEnv = process.env): Booted {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${serviceName}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, name: serviceName });
  if (config.ignoredEncryptionIv) {
    logger.warn(
      'ENCRYPTION_IV is set but ignored: a fixed IV is unsafe with AES-GCM; every token gets a fresh random nonce',
    );
  }
  return { config, logger };
}

/** Runs `stop` once on the first SIGINT or SIGTERM; a second signal forces exit. */
export function onShutdownSignal(logger: Logger, stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export function exitOnStartupFailure(logger: Logger | null, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  if (logger) logger.fatal({ err: error }, `start-up failed: ${message}`);
  else process.stderr.write(`start-up failed: ${message}\n`);
  process.exit(1);
}
