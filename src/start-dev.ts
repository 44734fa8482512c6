import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from './config';
import { SCHEDULE_IDS } from '../workflows/contract';
import { startTsProcess, type ManagedProcess } from './devtools/dev/child-process';
import { loadOrCreateDevSecrets } from './devtools/dev/dev-secrets';
import { provideDevPlatforms } from './devtools/dev/dev-simulator';
import { provideDevWebhookReceiver } from './devtools/dev/dev-webhook-receiver';
import { seedDemoData, type DemoLogins } from './devtools/dev/seed-demo';
import { formatDevSummary } from './devtools/dev/summary';
import { providePostgres } from './devtools/dev/provide-postgres';
import { provideRedis } from './devtools/dev/provide-redis';
import { preferredOrFreePort, temporalDevPorts } from './devtools/dev/ports';
import { announcedReady, startOnOwnPort } from './devtools/dev/port-bound-process';
import { workerServing } from './devtools/dev/worker-ready';
import { startDevServer } from './devtools/dev/temporal-dev-server';
import { PROJECT_ROOT, readToolchain } from './devtools/tooling/toolchain';

/**
 * `npm run dev`: the whole service on embedded defaults. Starts (or reuses) PostgreSQL, Redis and a Temporal
 * dev server with its Web UI and data in .data/, migrates, then runs the worker and the API as child
 * processes. Ctrl-C stops everything it started, in reverse order; the next start reuses the data.
 */
interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

const stack: Stoppable[] = [];
/** Set by the first stop request; later requests (a signal after a child died) wait for the same one. */
let stopping: Promise<void> | null = null;

function say(message: string): void {
  process.stdout.write(`[dev] ${message}\n`);
}

let signals = 0;

/** The first Ctrl-C stops everything in order; npm may signal again meanwhile: only a third one forces exit. */
function onSignal(signal: NodeJS.Signals): void {
  signals++;
  if (signals === 1) void stopAll(0);
  else if (signals === 2) say(`${signal} received while stopping: still stopping (once more to force)`);
  else process.exit(130);
}

async function stopAll(exitCode: number): Promise<never> {
  stopping ??= stopStack();
  await stopping;
  process.exit(exitCode);
}

async function stopStack(): Promise<void> {
  for (const item of stack.reverse()) {
    say(`stopping ${item.name}`);
    await item.stop().catch((error: unknown) => say(`${item.name} did not stop cleanly: ${String(error)}`));
  }
  say('stopped');
}

async function main(): Promise<void> {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const dataDir = path.resolve(PROJECT_ROOT, process.env.DATA_DIR ?? '.data');
  const secrets = loadOrCreateDevSecrets(dataDir);
  const env: NodeJS.ProcessEnv = {
    ...secrets.env,
    NODE_ENV: 'development',
    ...process.env,
    DATA_DIR: dataDir,
  };

  // Two checkouts on one machine share its PostgreSQL and Redis, never their data: each has its own
  // database and key prefix (their tokens are encrypted with different keys, their admins differ).
  const checkout = createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 8);
  const [postgres, redis] = await Promise.all([
    providePostgres(env, dataDir, `socialsync_dev_${checkout}`),
    provideRedis(env),
  ]);
  stack.push({ name: 'PostgreSQL', stop: postgres.stop }, { name: 'Redis', stop: redis.stop });
  say(`PostgreSQL: ${postgres.source}`);
  say(
    redis.url
      ? `Redis: ${redis.source}`
      : 'Redis: none answering; API limiters use an in-process store (single API process only)',
  );

  const temporal = await provideTemporal(env, dataDir);
  stack.push({ name: 'Temporal dev server', stop: temporal.stop });

  env.REDIS_KEY_PREFIX ??= `socialsync:dev:${checkout}:`;
  // Usual ports when free, others when a second stack (or a test) already holds them; ports the user set stay.
  const movable = { api: env.PORT === undefined, metrics: env.WORKER_METRICS_PORT === undefined };
  env.PORT ??= String(await preferredOrFreePort(3000));
  env.WORKER_METRICS_PORT ??= String(await preferredOrFreePort(9464));
  const platforms = await provideDevPlatforms(env);
  stack.push({ name: 'simulator', stop: platforms.stop });
  say(`Platforms: ${platforms.source}`);
  const webhooks = await provideDevWebhookReceiver(env, dataDir);
  stack.push({ name: 'webhook receiver', stop: webhooks.stop });
  say(`Webhooks: ${webhooks.source}`);

  Object.assign(env, {
    ...platforms.env,
    ...webhooks.env,
    DATABASE_URL: postgres.url,
    ...(redis.url ? { REDIS_URL: redis.url } : { RATE_LIMIT_MEMORY_FALLBACK: 'true' }),
    TEMPORAL_ADDRESS: temporal.address,
  });
  const config = loadConfig(env); // fail here, once, with every bad variable named, before starting children
  await runMigrations(env);
  let demo: DemoLogins | null = null;
  if (platforms.simulator) {
    demo = await seedDemoData({
      databaseUrl: postgres.url,
      encryptionKey: env.ENCRYPTION_KEY!,
      adminPassword: secrets.adminPassword,
      simulator: platforms.simulator,
    });
  }

  // The summary waits for both: the API listening, and the worker polling with its schedules in place.
  const worker = startOnOwnPort({
    name: 'worker',
    entry: 'src/start-worker.ts',
    env,
    variable: 'WORKER_METRICS_PORT',
    mayMove: movable.metrics,
    ready: workerServing({ ...config.temporal, scheduleIds: Object.values(SCHEDULE_IDS) }),
    say,
  });
  const api = startOnOwnPort({
    name: 'api',
    entry: 'src/start-api.ts',
    env,
    variable: 'PORT',
    mayMove: movable.api,
    envFor: (port) => platforms.redirectEnv(`http://127.0.0.1:${port}`),
    ready: announcedReady(),
    say,
  });
  stack.push(worker, api);
  const [workerUp, apiUp] = await Promise.all([worker.started, api.started]);
  exitWhenAChildDies([workerUp.process, apiUp.process]);
  const apiUrl = `http://127.0.0.1:${apiUp.port}`;
  process.stdout.write(
    formatDevSummary({
      apiUrl,
      uiUrl: temporal.uiUrl,
      temporalAddress: temporal.address,
      platforms: platforms.source,
      webhookFile: webhooks.file,
      demo,
    }),
  );
}

async function provideTemporal(env: NodeJS.ProcessEnv, dataDir: string) {
  if (env.TEMPORAL_ADDRESS) {
    say(`Temporal: ${env.TEMPORAL_ADDRESS} (TEMPORAL_ADDRESS)`);
    return { address: env.TEMPORAL_ADDRESS, uiUrl: null as string | null, stop: async () => undefined };
  }
  const toolchain = readToolchain();
  const dbFile = path.join(dataDir, 'temporal', 'dev.sqlite');
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  const server = await startDevServer({
    executable: toolchain.temporalCli.path,
    choosePorts: temporalDevPorts,
    dbFile,
    logFile: path.join(dataDir, 'temporal', 'server.log'),
    ownProcessGroup: true,
  });
  say(`Temporal: dev server ${server.address}, data in ${dbFile} (${toolchain.temporalCli.source})`);
  return server;
}

async function runMigrations(env: NodeJS.ProcessEnv): Promise<void> {
  const migrate: ManagedProcess = startTsProcess('migrate', 'src/db/migrate.ts', env);
  if ((await migrate.exited) !== 0) throw new Error('database migration failed (see [migrate] lines above)');
}

function exitWhenAChildDies(children: ManagedProcess[]): void {
  for (const child of children) {
    void child.exited.then((code) => {
      if (stopping) return;
      say(`${child.name} exited with code ${code}: stopping everything`);
      void stopAll(1);
    });
  }
}

main().catch((error: unknown) => {
  say(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
  void stopAll(1);
});
