import 'reflect-metadata';
import pino from 'pino';
import { accountSyncDeps, createSyncActivities } from '../../../activities/sync';
import { syncAccountOnce } from '../../sync/account-syncer';
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
  const orm = await openOrm({ databaseUrl: config.databaseUrl, poolMax: 30, keepQueryFrames: true });
  const redis = createRedis({ url: config.redis.url });
  const deps = {
    config,
    logger: pino({ level: config.logLevel }),
    orm,
    redis,
    cipher: createTokenCipher(config.encryption),
    platforms: createPlatformClients(config),
    metrics: createWorkerMetrics(),
    now: () => new Date(),
  };
  // The activities' own code paths: the settings and pages the fleet workflow reads, the syncer it runs.
  const sync = createSyncActivities(deps);
  const syncDeps = accountSyncDeps(deps);
  const summary = await runPlainFleet(
    {
      settings: await sync.getSyncSettings(),
      listAccountsDueForSync: sync.listAccountsDueForSync,
      syncAccountOnce: (input, run) => syncAccountOnce(syncDeps, input, run),
    },
    config.sync.concurrency,
  );
  // maxRSS is in kB: the peak of this process, the counterpart of the worker's VmHWM.
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const { user, system } = process.cpuUsage();
  const cpuMs = Math.round((user + system) / 1000);
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ ...summary, peakRssMb, cpuMs })}\n`);
  await orm.close();
  redis.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`baseline failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
