import './process/lean-heap';
import 'reflect-metadata';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import { createTokenCipher } from './crypto/token-cipher';
import { openOrm } from './db/orm';
import { startFreshnessGauges } from './metrics/freshness-gauges';
import { startMetricsServer } from './metrics/metrics-server';
import { createWorkerMetrics } from './metrics/worker-metrics';
import { createPlatformClients } from './platforms';
import { bootOrExit, exitOnStartupFailure, onShutdownSignal } from './process/boot';
import { createRedis } from './redis/connection';
import { connectWorkerConnection } from './temporal/connection';
import { findFreePort } from './process/free-port';
import { installTemporalRuntime } from './temporal/runtime';
import { ensureSchedules } from './temporal/schedules';
import { ensureWebhookDrainer } from './temporal/webhook-drainer';
import { createTemporalWorker } from './temporal/worker';
import { prebuiltWorkflowBundle } from './temporal/workflow-bundle';

/** Composition root of the Temporal worker: the only place that opens its connections. */
async function main(): Promise<void> {
  const { config, logger } = bootOrExit('socialsync-worker');
  try {
    const metricsEnabled = config.worker.metricsPort > 0;
    const sdkMetricsPort = metricsEnabled ? await findFreePort('127.0.0.1') : null;
    installTemporalRuntime({ sdkMetricsPort, logger });
    const metrics = createWorkerMetrics();
    // Bound first: a taken port fails the start-up in a second (exit code 98), not after the workflow bundle.
    const metricsServer = metricsEnabled
      ? await startMetricsServer({
          port: config.worker.metricsPort,
          host: config.worker.metricsHost,
          registry: metrics.registry,
          sdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort}/metrics`,
          logger,
        })
      : null;
    const orm = await openOrm({ databaseUrl: config.databaseUrl, poolMax: 30, keepQueryFrames: true });
    const redis = createRedis({ url: config.redis.url });
    redis.on('error', (error) => logger.warn({ err: error.message }, 'redis error'));
    const connection = await connectWorkerConnection(config.temporal);
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const stopping = new AbortController();
    const activities = createActivities({
      config,
      logger,
      orm,
      redis,
      cipher: createTokenCipher(config.encryption),
      platforms: createPlatformClients(config, { logger }),
      metrics,
      now: () => new Date(),
      stopping: stopping.signal,
    });
    const worker = await createTemporalWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities,
      workflowBundle: await prebuiltWorkflowBundle(path.resolve(config.dataDir, 'build'), logger),
      maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
      maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
      shutdownGraceSeconds: config.worker.shutdownGraceSeconds,
    });
    // After the worker exists (its bundle compiled): a schedule never fires into a queue nobody will poll.
    await ensureSchedules(client, config, logger);
    const drainer = await ensureWebhookDrainer(client, config.temporal.taskQueue);
    logger.info({ workflowId: drainer.workflowId }, 'webhook drainer running');
    const freshness = startFreshnessGauges({
      db: orm.em.getKnex(),
      metrics,
      staleAfterHours: config.freshness.staleAfterHours,
      now: () => new Date(),
      logger,
    });
    if (config.notifications.webhookUrl && !config.notifications.webhookSecret) {
      logger.warn(
        'NOTIFY_WEBHOOK_URL is set without NOTIFY_WEBHOOK_SECRET: notifications and data events are sent unsigned',
      );
    }
    const closeConnections = async () => {
      freshness.stop();
      await Promise.allSettled([orm.close(), redis.quit(), connection.close(), metricsServer?.close()]);
      logger.info('worker stopped');
    };
    // run() resolves once the worker has drained: polling stopped, running activities finished (or cancelled
    // after shutdownGraceSeconds) and their results reported. Only then may the process exit.
    const running = worker.run();
    let signalled = false;
    onShutdownSignal(logger, async () => {
      signalled = true;
      stopping.abort();
      // The SDK's own signal hook may have started the shutdown already (it runs on the same signals).
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await closeConnections();
    });
    logger.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
    await running;
    // Stopped by the SDK's own hook on a signal we do not handle (SIGQUIT, SIGUSR2): close and leave cleanly.
    // A fatal worker error makes run() reject instead (handled below, exit 1).
    if (!signalled) {
      await closeConnections();
      process.exit(0);
    }
  } catch (error) {
    exitOnStartupFailure(logger, error);
  }
}

void main();
