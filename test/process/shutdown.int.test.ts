import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createTokenService } from '../../src/auth/tokens';
import { createTokenCipher } from '../../src/crypto/token-cipher';
import { loadConfig } from '../../src/config';
import { findFreePort } from '../../src/process/free-port';
import { createSimulator, type Simulator } from '../../src/devtools/simulator';
import { progressQuery, type SyncAllAccountsInput, type SyncFleetProgress } from '../../workflows/contract';
import { insertUser, type ConnectedAccount } from '../helpers/accounts';
import { RELAXED_LIMITS } from '../helpers/api';
import { TEST_ENV } from '../helpers/config';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { getIntegrationEnv } from '../helpers/integration-env';
import { uniqueTaskQueue } from '../helpers/temporal';
import { createOpsNamespace, eventually, seedAccounts, serviceEnv } from '../helpers/processes';
import { exitCodeWithin, startService, type LogLine, type ServiceProcess } from '../helpers/service-process';
import { syncAllAccountsWorkflow } from '../../workflows';

jest.setTimeout(240_000);

const GRACE_SECONDS = 20;
/** Room beyond the grace period for the process to close its pools on a loaded machine. */
const EXIT_SLACK_MS = 20_000;
const ACCOUNTS = 30;
const POSTS_PER_ACCOUNT = 3;

describe('SIGTERM (real processes)', () => {
  let namespace: string;
  let db: TestDatabase;
  let simulator: Simulator;
  let connection: Connection;
  let client: Client;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    [namespace, db] = await Promise.all([createOpsNamespace('shutdown'), createTestDatabase()]);
    // Every platform call takes 250 ms: one account's sync ~0.6 s, so a fleet of 30 at concurrency 3 runs ~6 s.
    simulator = createSimulator({ accountsPerPlatform: 0, faults: { all: { latencyMs: 250 } } });
    await simulator.start();
    connection = await Connection.connect({ address: getIntegrationEnv().temporalAddress });
    client = new Client({ connection, namespace });
  });
  afterAll(async () => {
    processes.forEach((service) => service.kill());
    await Promise.allSettled([connection?.close(), simulator?.stop(), db?.drop()]);
  });

  function start(
    entry: 'src/start-worker.ts' | 'src/start-api.ts',
    env: Record<string, string>,
  ): ServiceProcess {
    const service = startService(entry, env);
    processes.push(service);
    return service;
  }

  const indexOf = (logs: LogLine[], predicate: (line: LogLine) => boolean) => logs.findIndex(predicate);

  it('worker: stops polling, lets running activities finish, exits 0; a new worker completes the run, nothing synced twice', async () => {
    const cipher = createTokenCipher(loadConfig(TEST_ENV).encryption);
    const owner = await insertUser(db.orm);
    const accounts: ConnectedAccount[] = await seedAccounts(
      { simulator, orm: db.orm, cipher, owner },
      'instagram',
      ACCOUNTS,
      POSTS_PER_ACCOUNT,
    );
    const taskQueue = uniqueTaskQueue('shutdown');
    const env = serviceEnv({
      databaseUrl: db.url,
      namespace,
      taskQueue,
      simulator,
      extra: { WORKER_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS), WORKER_METRICS_PORT: '0' },
    });

    const first = start('src/start-worker.ts', env);
    await first.waitForLog((line) => line.msg === 'worker running', 'worker running');
    const input: SyncAllAccountsInput = { minAgeHours: 0, concurrency: 3, batchSize: 1, triggeredBy: 'cli' };
    const handle = await client.workflow.start(syncAllAccountsWorkflow, {
      taskQueue,
      workflowId: 'sync-all-accounts-shutdown-test',
      args: [input],
    });
    const midRun = await eventually(async () => {
      // The workflow registers its query after its first activity: until then the query is refused.
      const progress = (await handle.query(progressQuery).catch(() => null)) as SyncFleetProgress | null;
      if (!progress) return undefined;
      return progress.done >= 6 && progress.inFlight > 0 && progress;
    }, 'the fleet run to be under way');

    first.child.kill('SIGTERM');
    expect(await exitCodeWithin(first, GRACE_SECONDS * 1000 + EXIT_SLACK_MS)).toBe(0);
    expect(midRun.done).toBeLessThan(ACCOUNTS);
    const logs = first.logs();
    const signalAt = indexOf(logs, (line) => line.msg === 'shutting down' && line.signal === 'SIGTERM');
    expect(signalAt).toBeGreaterThan(-1);
    expect(indexOf(logs, (line) => line.msg === 'worker stopped')).toBeGreaterThan(signalAt);
    // Activities running at the signal finished afterwards (in the grace period), not cut off.
    expect(logs.slice(signalAt).filter((line) => line.msg === 'account synced').length).toBeGreaterThan(0);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    // Every profile fetched so far belongs to an account whose sync was stored: no sync died half-way.
    const profilesFetched = simulator.control.endpointStats('instagram.me').total;
    expect(await countRows('select count(*) from social_accounts where last_synced_at is not null')).toBe(
      profilesFetched,
    );
    expect(profilesFetched).toBeLessThan(ACCOUNTS);

    const second = start('src/start-worker.ts', env);
    expect(await handle.result()).toMatchObject({
      found: ACCOUNTS,
      done: ACCOUNTS,
      succeeded: ACCOUNTS,
      failed: 0,
      skipped: 0,
    });
    for (const { externalId } of accounts) {
      const calls = simulator.control.accountStats('instagram', externalId);
      expect([externalId, calls['instagram.me']?.total, calls['instagram.media']?.total]).toEqual([
        externalId,
        1,
        1,
      ]);
    }
    expect(await countRows('select count(*) from account_snapshots')).toBe(ACCOUNTS);
    expect(await countRows('select count(*) from posts')).toBe(ACCOUNTS * POSTS_PER_ACCOUNT);

    second.child.kill('SIGTERM');
    expect(await exitCodeWithin(second, GRACE_SECONDS * 1000 + EXIT_SLACK_MS)).toBe(0);
  });

  it('API: a slow in-flight request completes after SIGTERM, new connections are refused, exit 0', async () => {
    const port = await findFreePort();
    const env = serviceEnv({
      databaseUrl: db.url,
      namespace,
      taskQueue: uniqueTaskQueue('shutdown-api'),
      simulator,
      extra: { ...RELAXED_LIMITS, PORT: String(port), API_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS) },
    });
    const api = start('src/start-api.ts', env);
    await api.waitForLog((line) => line.msg === 'api listening', 'api listening');
    const baseUrl = `http://127.0.0.1:${port}/api/v1`;
    const user = await insertUser(db.orm);
    const { token } = createTokenService({ secret: TEST_ENV.JWT_SECRET, ttlSeconds: 600 }).issueAccessToken({
      userId: user.id,
      role: 'influencer',
    });
    const auth = { authorization: `Bearer ${token}` };
    const { state } = (await (
      await fetch(`${baseUrl}/accounts/instagram/authorize-url`, { headers: auth })
    ).json()) as {
      state: string;
    };
    const { externalId } = simulator.control.addAccount('instagram', { postCount: 1 });
    const { code } = simulator.control.issueAuthCode('instagram', externalId);
    // The code exchange answers after 4 s: the connect request is in flight when the signal lands.
    simulator.control.setFaults({ endpoints: { 'instagram.oauth_token': { latencyMs: 4_000 } } });
    const exchangesBefore = simulator.control.endpointStats('instagram.oauth_token').byMethod.POST ?? 0;

    const connect = fetch(`${baseUrl}/accounts/instagram/connect`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ code, state }),
    });
    await eventually(
      async () =>
        (simulator.control.endpointStats('instagram.oauth_token').byMethod.POST ?? 0) > exchangesBefore,
      'the code exchange to reach the platform',
    );
    api.child.kill('SIGTERM');
    await api.waitForLog((line) => line.msg === 'shutting down', 'shutting down');
    expect(await connectionError(port)).toBe('ECONNREFUSED');

    const response = await connect;
    expect(response.status).toBe(201);
    expect(await exitCodeWithin(api, GRACE_SECONDS * 1000 + EXIT_SLACK_MS)).toBe(0);
    const logs = api.logs();
    const signalAt = indexOf(logs, (line) => line.msg === 'shutting down');
    const connectLogAt = indexOf(
      logs,
      (line) => line.msg === 'request' && line.route === '/api/v1/accounts/:platform/connect',
    );
    expect(connectLogAt).toBeGreaterThan(signalAt);
    simulator.control.clearFaults();
  });

  async function countRows(sql: string): Promise<number> {
    const [row] = await db.orm.em.fork().getConnection().execute<{ count: string }[]>(sql);
    return Number(row.count);
  }
});

/** The error code of a fresh TCP connection to the port, or 'connected'. */
function connectionError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
