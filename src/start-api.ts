import 'reflect-metadata';
import http from 'node:http';
import { createMailer } from './auth/mailer';
import { createTokenCipher } from './crypto/token-cipher';
import { openOrm } from './db/orm';
import { createApp } from './http/app';
import { waitUntilReady } from './http/rate-limit';
import { createReadinessChecks } from './http/readiness';
import { createPlatformClients } from './platforms';
import { announceReady, bootOrExit, exitOnStartupFailure, onShutdownSignal } from './process/boot';
import { createRedis } from './redis/connection';
import { apiConnectionOptions, connectTemporalClient } from './temporal/connection';

/** Long enough for a local or same-network Redis to accept the connection; the API starts regardless. */
const REDIS_READY_WAIT_MS = 5_000;

/** Composition root of the REST API: the only place that opens its connections. */
async function main(): Promise<void> {
  const { config, logger } = bootOrExit('socialsync-api');
  try {
    const orm = await openOrm({ databaseUrl: config.databaseUrl, poolMax: 10 });
    // The limiters' client: no offline queue, so while Redis is down a command fails at once instead of
    // koa-ratelimit's ~10-second hang; the limiters' guard bounds each answer (RATE_LIMIT_REDIS_TIMEOUT_MS).
    const redis = config.rateLimits.memoryFallback ? null : createRedis({ url: config.redis.url });
    redis?.on('error', (error) => logger.warn({ err: error.message }, 'redis error'));
    if (redis && !(await waitUntilReady(redis, REDIS_READY_WAIT_MS))) {
      logger.warn(
        { url: config.redis.url },
        'redis not ready: limiters fail open (general, social) or fall back to memory until it is',
      );
    }
    const temporal = await connectTemporalClient(
      config.temporal,
      apiConnectionOptions(config.temporal.address),
    );
    const app = createApp({
      config,
      logger,
      readiness: createReadinessChecks({ orm, redis, temporal }),
      orm,
      rateLimitRedis: redis,
      temporal,
      platforms: createPlatformClients(config, { logger }),
      cipher: createTokenCipher(config.encryption),
      mailer: createMailer({ ...config.mail, logger }),
    });
    const server = http.createServer(app.callback());
    await new Promise<void>((resolve, reject) => {
      // A taken port fails the start-up (exit code 98) instead of crashing on an unhandled 'error' event.
      server.once('error', reject);
      server.listen(config.http.port, config.http.host, resolve);
    });
    const url = `http://${config.http.host}:${config.http.port}`;
    logger.info({ url, docs: `${url}/docs`, metrics: `${url}/metrics` }, 'api listening');
    announceReady({ url });

    onShutdownSignal(logger, async () => {
      // Stop accepting, let in-flight requests finish (bounded), then close pools.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.race([closed, delay(config.http.shutdownGraceSeconds * 1000)]);
      server.closeAllConnections();
      await Promise.allSettled([orm.close(), redis?.quit(), temporal.connection.close()]);
    });
  } catch (error) {
    exitOnStartupFailure(logger, error);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

void main();
