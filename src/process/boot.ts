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

/**
 * The exit code of a start-up that failed because its port was taken (98 is EADDRINUSE's errno on Linux): a
 * supervisor that picked the port (`npm run dev`) then starts the process again on another one.
 */
export const EXIT_ADDRESS_IN_USE = 98;

export function exitOnStartupFailure(logger: Logger | null, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  if (logger) logger.fatal({ err: error }, `start-up failed: ${message}`);
  else process.stderr.write(`start-up failed: ${message}\n`);
  process.exit(isAddressInUse(error) ? EXIT_ADDRESS_IN_USE : 1);
}

/** Node's listen errors carry the code; the Temporal SDK's exporter (Rust) says it in the message. */
function isAddressInUse(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'EADDRINUSE' || /address already in use/i.test(String(message));
}

/**
 * Tells a supervising parent that this process is up, when there is one listening (`npm run dev` starts the
 * API with an IPC channel); a no-op otherwise. Unlike a probe of the port, the message cannot come from
 * another process that happens to hold it.
 */
export function announceReady(details: Record<string, string | number>): void {
  process.send?.({ socialsyncReady: details });
}
