import pino from 'pino';
import { accountSyncDeps } from '../../activities/sync';
import { createTokenCipher } from '../../src/crypto/token-cipher';
import { loadConfig } from '../../src/config';
import { createSimulator, type Simulator } from '../../src/devtools/simulator';
import { createWorkerMetrics } from '../../src/metrics/worker-metrics';
import { createPlatformClients } from '../../src/platforms';
import { createRedis } from '../../src/redis/connection';
import { syncAccountOnce } from '../../src/sync/account-syncer';
import { insertUser } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { createOpsNamespace, eventually, seedAccounts, serviceEnv } from '../helpers/processes';
import { startService, type ServiceProcess } from '../helpers/service-process';
import { WEBHOOK_SECRET } from '../helpers/stack';
import { uniqueTaskQueue } from '../helpers/temporal';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

jest.setTimeout(240_000);

const ACCOUNTS = 12;
const SYNCS_PER_ACCOUNT = 5;

/**
 * A real worker process (src/start-worker.ts) delivering data events is killed with SIGKILL in the middle of
 * a batch; a second worker process takes the drainer's batch over once its heartbeat times out. Every event
 * arrives at least once, and after dropping repeats by X-Socialsync-Delivery the receiver has each event
 * once, in order per account.
 */
describe('webhook delivery survives a killed worker (real processes)', () => {
  let namespace: string;
  let db: TestDatabase;
  let simulator: Simulator;
  let receiver: WebhookReceiver;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    [namespace, db] = await Promise.all([createOpsNamespace('webhook-kill'), createTestDatabase()]);
    simulator = createSimulator({ accountsPerPlatform: 0 });
    await simulator.start();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    processes.forEach((service) => service.kill());
    await Promise.allSettled([simulator?.stop(), receiver?.close(), db?.drop()]);
  });

  it('delivers every event at least once; deduplicated, each once and in order per account', async () => {
    const taskQueue = uniqueTaskQueue('webhook-kill');
    const env = serviceEnv({
      databaseUrl: db.url,
      namespace,
      taskQueue,
      simulator,
      extra: {
        NOTIFY_WEBHOOK_URL: receiver.url,
        NOTIFY_WEBHOOK_SECRET: WEBHOOK_SECRET,
        WEBHOOK_CONCURRENCY: '2',
        WORKER_METRICS_PORT: '0',
      },
    });
    const config = loadConfig(env);
    const knex = db.orm.em.getKnex();
    const cipher = createTokenCipher(config.encryption);
    const owner = await insertUser(db.orm);
    const accounts = await seedAccounts({ simulator, orm: db.orm, cipher, owner }, 'instagram', ACCOUNTS, 2);
    // Real account.synced events: five syncs of each account, through the syncer the activities run.
    const redis = createRedis({ url: config.redis.url });
    await new Promise((resolve) => redis.once('ready', resolve));
    try {
      const syncDeps = accountSyncDeps({
        config,
        logger: pino({ level: 'silent' }),
        orm: db.orm,
        redis,
        cipher,
        platforms: createPlatformClients(config),
        metrics: createWorkerMetrics(),
        now: () => new Date(),
      });
      for (let round = 0; round < SYNCS_PER_ACCOUNT; round++)
        for (const { account } of accounts)
          await syncAccountOnce(
            syncDeps,
            { accountId: account.id },
            { owner: 'test', workflowId: 'test', heartbeat: () => {} },
          );
    } finally {
      redis.disconnect();
    }
    const outbox: { id: string; stream_key: string }[] = await knex('outbox')
      .select('id', 'stream_key')
      .orderBy('seq');
    expect(outbox).toHaveLength(ACCOUNTS * SYNCS_PER_ACCOUNT);

    // Two requests at a time, 150 ms each: the 60 events take about 4.5 s, the kill lands in the middle.
    receiver.setDelay(150);
    const first = startService('src/start-worker.ts', env);
    processes.push(first);
    await first.waitForLog((line) => line.msg === 'webhook drainer running', 'the drainer started');
    await eventually(async () => receiver.received.length >= 10, 'ten deliveries', 90_000);
    first.kill();
    await first.exited;
    const atKill = receiver.accepted().length;
    expect(atKill).toBeGreaterThanOrEqual(10);
    expect(atKill).toBeLessThan(outbox.length);

    const second = startService('src/start-worker.ts', env);
    processes.push(second);
    await eventually(
      async () => (await knex('outbox').where('status', 'delivered')).length === outbox.length,
      'every event delivered after the second worker took over',
      150_000,
    );
    second.kill();

    const accepted = receiver.accepted();
    expect(accepted.map((event) => event.id).sort()).toEqual(outbox.map((row) => row.id).sort());
    for (const { account } of accounts) {
      const expected = outbox.filter((row) => row.stream_key === account.id).map((row) => row.id);
      const arrived = accepted
        .filter((event) => event.data.accountId === account.id)
        .map((event) => event.id);
      expect(arrived).toEqual(expected);
    }
    const requests = receiver.received.filter((request) => request.status < 300).length;
    process.stdout.write(
      `[webhook-kill] ${outbox.length} events, ${requests} accepted requests (${requests - accepted.length} ` +
        `repeats dropped by id), ${atKill} before the SIGKILL\n`,
    );
  });
});
