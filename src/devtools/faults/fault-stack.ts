import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { Pool } from 'pg';
import { createTokenService } from '../../auth/tokens';
import { createTokenCipher } from '../../crypto/token-cipher';
import { migrateToLatest, openOrm } from '../../db/orm';
import { ensureDatabaseExists } from '../../db/ensure-database';
import type { Platform } from '../../platforms/types';
import { findFreePort } from '../../process/free-port';
import { startDevServer, type DevServer } from '../dev/temporal-dev-server';
import { readToolchain } from '../tooling/toolchain';
import {
  makeSyncAllAccountsWorkflowId,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  type SyncAllAccountsResult,
} from '../../../workflows/contract';
import { syncAllAccountsWorkflow } from '../../../workflows';
import { newSuiteSecrets, serviceEnvironment, type SuiteSecrets } from './environment';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres';
import { startPrivateRedis, type PrivateRedis } from './private-redis';
import type { Cleanup } from './cleanup';
import { killServiceProcesses, startApiProcess, startWorkerProcess, type ServiceProcess } from './services';
import { startSimulatorProcess, type SimulatorProcess } from './simulator-process';
import { storeConnectedAccounts } from '../simulator/control/stored-accounts';

/**
 * The suite's infrastructure, started once: a private PostgreSQL and Redis it may stop, a Temporal dev server
 * on a SQLite file it may kill and restart, the simulator process, and a template database holding the
 * migrated schema, the seeded accounts (tokens the simulator issued) and one API user. Every scenario gets a
 * Deployment: a copy of the template, its own Redis key prefix and task queue, its own worker and API
 * processes. Whatever it starts is registered with the suite's Cleanup the moment it exists.
 */
export interface FaultStackOptions {
  accountsPerPlatform: number;
  latencyMs: number;
  tiktokRequestsPerMinute: number;
}

export interface FaultStack {
  options: FaultStackOptions;
  postgres: PrivatePostgres;
  redis: PrivateRedis;
  simulator: SimulatorProcess;
  temporal: TemporalServer;
  client: Client;
  /** Accounts in the template (both platforms). */
  accountCount: number;
  /** A bearer token of the template's API user (owns no account: its reads are cheap). */
  apiUserToken: string;
  deploy(label: string): Promise<Deployment>;
}

export interface TemporalServer {
  address: string;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

const TEMPLATE_DATABASE = 'faults_template';

export async function startFaultStack(
  options: FaultStackOptions,
  log: (line: string) => void,
  cleanup: Cleanup,
): Promise<FaultStack> {
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsync-faults-'));
  cleanup.add(async () => fs.rmSync(tempDir, { recursive: true, force: true }));
  // Worker and API processes a scenario had not stopped yet (an error or a signal cut it short).
  cleanup.add(killServiceProcesses);
  const [postgres, redis, simulator] = await Promise.all([
    cleanup.starting(startPrivatePostgres(), (server) => server.destroy()),
    cleanup.starting(startPrivateRedis(), (server) => server.destroy()),
    cleanup.starting(
      startSimulatorProcess({
        accountsPerPlatform: options.accountsPerPlatform,
        latencyMs: options.latencyMs,
      }),
      (sim) => sim.stop(),
    ),
  ]);
  await simulator.control.setTikTokQuota(options.tiktokRequestsPerMinute, 60_000);
  const temporal = await cleanup.starting(startTemporal(path.join(tempDir, 'temporal.db')), (server) =>
    server.stop(),
  );
  log(`PostgreSQL ${postgres.url('')}, Redis ${redis.url}, Temporal ${temporal.address}`);
  const connection = await cleanup.starting(Connection.connect({ address: temporal.address }), (c) =>
    c.close(),
  );
  const client = new Client({ connection });
  const secrets = newSuiteSecrets();
  const apiUserId = await seedTemplate(postgres, simulator, secrets, options.accountsPerPlatform);
  const apiUserToken = createTokenService({
    secret: secrets.jwtSecret,
    ttlSeconds: 24 * 3600,
  }).issueAccessToken({
    userId: apiUserId,
    role: 'influencer',
  }).token;
  log(`template database seeded with ${options.accountsPerPlatform * 2} accounts`);
  return {
    options,
    postgres,
    redis,
    simulator,
    temporal: temporal.handle,
    client,
    accountCount: options.accountsPerPlatform * 2,
    apiUserToken,
    deploy: (label) =>
      deploy({ label, postgres, redis, simulator, secrets, options, client, temporal: temporal.handle }),
  };
}

async function startTemporal(
  dbFile: string,
): Promise<{ address: string; handle: TemporalServer; stop(): Promise<void> }> {
  const executable = readToolchain().temporalCli.path;
  if (!executable) throw new Error('no temporal CLI in the toolchain: run `npm run bootstrap`');
  const port = await findFreePort();
  // A restart must come back on the same address and file: the workers and the suite reconnect to it.
  const launch = () => startDevServer({ executable, port, dbFile, readyTimeoutMs: 120_000 });
  let server: DevServer | null = await launch();
  const address = server.address;
  return {
    address,
    handle: {
      address,
      kill: async () => {
        await server?.kill();
        server = null;
      },
      restart: async () => {
        server = await launch();
      },
    },
    stop: async () => {
      await server?.stop();
      server = null;
    },
  };
}

/** Migrates the template, seeds the accounts with tokens the simulator issued, adds the API user. */
async function seedTemplate(
  postgres: PrivatePostgres,
  simulator: SimulatorProcess,
  secrets: SuiteSecrets,
  accountsPerPlatform: number,
): Promise<string> {
  const url = postgres.url(TEMPLATE_DATABASE);
  await ensureDatabaseExists(url);
  const orm = await openOrm({ databaseUrl: url, poolMax: 4 });
  try {
    await migrateToLatest(orm);
    const knex = orm.em.getKnex();
    const cipher = createTokenCipher({ key: secrets.encryptionKey, previousKeys: [] });
    const [owner] = await knex('users')
      .insert({
        email: 'fleet-owner@faults.test',
        password_hash: 'not-a-hash',
        role: 'influencer',
        verified: true,
      })
      .returning('id');
    for (const platform of ['instagram', 'tiktok'] as Platform[]) {
      for (let offset = 0; offset < accountsPerPlatform; offset += 500) {
        const limit = Math.min(500, accountsPerPlatform - offset);
        const tokens = await simulator.control.issueTokens(platform, offset, limit);
        await storeConnectedAccounts(knex, cipher, owner.id, tokens, 'faults');
      }
    }
    const [apiUser] = await knex('users')
      .insert({
        email: 'api-user@faults.test',
        password_hash: 'not-a-hash',
        role: 'influencer',
        verified: true,
      })
      .returning('id');
    return apiUser.id as string;
  } finally {
    await orm.close();
  }
}

/** One scenario's slice of the stack; `close()` stops its processes and drops its database. */
export interface Deployment {
  label: string;
  databaseUrl: string;
  taskQueue: string;
  db: Pool;
  workers: ServiceProcess[];
  apis: ServiceProcess[];
  startWorker(): Promise<ServiceProcess>;
  startApi(): Promise<ServiceProcess>;
  startFleetSync(): Promise<FleetSync>;
  /** Accounts whose last sync is at or after `since`. */
  syncedSince(since: Date): Promise<number>;
  close(): Promise<void>;
}

export interface FleetSync {
  startedAt: Date;
  handle: WorkflowHandle<typeof syncAllAccountsWorkflow>;
  /** The run's result, or its error; waits at most `timeoutMs` (a Temporal restart interrupts the wait). */
  outcome(timeoutMs: number): Promise<{ result: SyncAllAccountsResult | null; error: string | null }>;
}

async function deploy(args: {
  label: string;
  postgres: PrivatePostgres;
  redis: PrivateRedis;
  simulator: SimulatorProcess;
  secrets: SuiteSecrets;
  options: FaultStackOptions;
  client: Client;
  temporal: TemporalServer;
}): Promise<Deployment> {
  const { label, postgres, client } = args;
  const database = `faults_${label.replace(/[^a-z0-9]+/g, '_')}`;
  const admin = new Pool({ connectionString: postgres.url('postgres'), max: 1 });
  try {
    await admin.query(`drop database if exists "${database}" with (force)`);
    await admin.query(`create database "${database}" template "${TEMPLATE_DATABASE}"`);
  } finally {
    await admin.end();
  }
  const databaseUrl = postgres.url(database);
  // The suite's own reads; errors while PostgreSQL is stopped are expected and handled by the callers.
  const db = new Pool({ connectionString: databaseUrl, max: 4 });
  db.on('error', () => undefined);
  const taskQueue = `faults-${label}`;
  const env = serviceEnvironment({
    secrets: args.secrets,
    simulator: args.simulator,
    databaseUrl,
    redisUrl: args.redis.url,
    keyPrefix: `faults:${label}:`,
    temporalAddress: args.temporal.address,
    taskQueue,
    tiktokRequestsPerMinute: args.options.tiktokRequestsPerMinute,
  });
  // A scenario starts from the plain platforms: whatever the one before injected and did not use is gone.
  await args.simulator.control.clearFaults();
  await args.simulator.control.setFaults({ all: { latencyMs: args.options.latencyMs } });
  await args.simulator.control.clearRequestLog();
  const workers: ServiceProcess[] = [];
  const apis: ServiceProcess[] = [];
  const deployment: Deployment = {
    label,
    databaseUrl,
    taskQueue,
    db,
    workers,
    apis,
    async startWorker() {
      const worker = await startWorkerProcess(`worker-${workers.length + 1}`, env);
      workers.push(worker);
      return worker;
    },
    async startApi() {
      const api = await startApiProcess(`api-${apis.length + 1}`, env);
      apis.push(api);
      return api;
    },
    async startFleetSync() {
      const startedAt = new Date();
      const handle = await client.workflow.start(syncAllAccountsWorkflow, {
        taskQueue,
        workflowId: makeSyncAllAccountsWorkflowId(`faults-${label}-${startedAt.getTime()}`),
        args: [{ triggeredBy: 'cli' }],
        typedSearchAttributes: [{ key: TRIGGERED_BY_SEARCH_ATTRIBUTE, value: 'cli' }],
      });
      return { startedAt, handle, outcome: (timeoutMs) => awaitOutcome(handle, timeoutMs) };
    },
    async syncedSince(since) {
      const { rows } = await db.query(
        'select count(*)::int as n from social_accounts where last_synced_at >= $1',
        [since],
      );
      return rows[0].n as number;
    },
    async close() {
      await Promise.all([...workers, ...apis].map((service) => service.stop(10_000)));
      await db.end().catch(() => undefined);
      if (!postgres.isRunning()) return;
      const cleanup = new Pool({ connectionString: postgres.url('postgres'), max: 1 });
      await cleanup.query(`drop database if exists "${database}" with (force)`).catch(() => undefined);
      await cleanup.end();
    },
  };
  return deployment;
}

/** handle.result() with retries: while the Temporal server restarts the long poll fails, the run does not. */
async function awaitOutcome(
  handle: WorkflowHandle<typeof syncAllAccountsWorkflow>,
  timeoutMs: number,
): Promise<{ result: SyncAllAccountsResult | null; error: string | null }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { result: null, error: `no result within ${Math.round(timeoutMs / 1000)} s` };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), remaining)),
    );
    try {
      const settled = await Promise.race([handle.result(), timeout]);
      if (settled === 'timeout') continue;
      return { result: settled, error: null };
    } catch (error) {
      const name = (error as Error).name;
      // The run itself failed (or was terminated): that is its outcome.
      if (name === 'WorkflowFailedError') return { result: null, error: describeFailure(error) };
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      clearTimeout(timer);
    }
  }
}

function describeFailure(error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause;
  return `workflow failed: ${cause?.message ?? (error as Error).message}`;
}
