import 'reflect-metadata';
import pino from 'pino';
import { createSyncActivities } from '../../../activities/sync';
import { createAccountSyncer } from '../../../activities/sync-account';
import { pacingSettingsFromConfig } from '../../pacing/plan';
import { createSyncBudget } from '../../pacing/redis-budget';
import { createAccountLease } from '../../sync/account-lease';
import { loadConfig } from '../../config';
import { createTokenCipher } from '../../crypto/token-cipher';
import { openOrm } from '../../db/orm';
import { createWorkerMetrics } from '../../metrics/worker-metrics';
import { createPlatformClients } from '../../platforms';
import { createRedis } from '../../redis/connection';
import { runPlainFleet } from './baseline-fleet';

/**
 * The baseline's own process (spawned by sync-bench.ts), built like the worker from the same environment,
 * so its peak RSS compares with the worker's. Prints one `BENCH_RESULT <json>` line.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const orm = await openOrm({ databaseUrl: config.databaseUrl, poolMax: 30 });
  const redis = createRedis({ url: config.redis.url });
  const deps = {
    config,
    logger: pino({ level: config.logLevel }),
    orm,
    redis,
    cipher: createTokenCipher(config.encryption),
    platforms: createPlatformClients(config),
    metrics: createWorkerMetrics(),
  };
  const sync = createSyncActivities(deps);
  const pacing = pacingSettingsFromConfig(config.sync);
  const syncAccountOnce = createAccountSyncer({
    ...deps,
    pacing,
    budget: createSyncBudget({ redis, keyPrefix: config.redis.keyPrefix, settings: pacing }),
    lease: createAccountLease({ redis, keyPrefix: config.redis.keyPrefix }),
  });
  const settings = await sync.getSyncSettings();
  const summary = await runPlainFleet(
    { settings, listAccountsDueForSync: sync.listAccountsDueForSync, syncAccountOnce },
    config.sync.concurrency,
  );
  // maxRSS is in kB: the peak of this process, the counterpart of the worker's VmHWM.
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ ...summary, peakRssMb })}\n`);
  await orm.close();
  redis.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`baseline failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
