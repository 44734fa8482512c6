/**
 * `npm run bench:api -- [--duration 10] [--connections 20] [--sync-connections 10] [--routes a,b] [--cpu-prof DIR]`
 * Starts its own stack (a fresh database with the demo user and its two accounts, a Temporal dev server, the
 * simulator, the production worker and API entry points as processes, limits raised for the run), then loads
 * four routes with autocannon one after another and prints req/s, p50 and p99 of each, then the same start as
 * POST /sync made by a Temporal client with no API in front (`start`): the floor the route stands on. A script,
 * not a test: nothing here asserts speed.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { ensureDatabaseExists } from '../../db/ensure-database';
import { migrateToLatest, openOrm } from '../../db/orm';
import { findFreePort } from '../../process/free-port';
import { connectTemporalClient } from '../../temporal/connection';
import { createWorkflowClient } from '../../temporal/workflow-client';
import { startDevServer } from '../dev/temporal-dev-server';
import { DEMO_USER, seedDemoData } from '../dev/seed-demo';
import { createSimulator } from '../simulator';
import { PROJECT_ROOT, readToolchain } from '../tooling/toolchain';
import { benchEnvironment } from './bench-env';
import { dropDatabase, deleteRedisKeys, httpOk, waitFor, withDatabase } from './bench-stack';
import { captureTail, cpuProfileFlags, processCpuMs, spawnTypeScript, stopChild } from './child-process';

const ROUTE_NAMES = ['healthz', 'accounts', 'status', 'sync', 'start'] as const;
type RouteName = (typeof ROUTE_NAMES)[number];

interface ApiBenchArgs {
  /** Which routes to load, in this order (a profile of one route reads better). */
  routes: RouteName[];
  durationSeconds: number;
  /** Write a V8 CPU profile of the API process into this folder (node --cpu-prof). */
  cpuProfileDir: string | null;
  connections: number;
  syncConnections: number;
  postgresUrl: string;
  redisUrl: string;
}

/** Far above what a run can reach: the limiters still run (and cost what they cost), they never refuse. */
const RAISED_LIMIT = '100000000/1m';

async function main(): Promise<void> {
  const args = parseApiBenchArgs(process.argv.slice(2));
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const runDir = path.join(PROJECT_ROOT, '.data', 'bench', runId);
  fs.mkdirSync(runDir, { recursive: true });
  const simulator = createSimulator({ accountsPerPlatform: 2 });
  await simulator.start();
  const databaseUrl = withDatabase(args.postgresUrl, `socialsync_bench_${runId}`);
  const keyPrefix = `socialsync-bench:${runId}:`;
  const devServer = await startDevServer({
    executable: readToolchain().temporalCli.path,
    dbFile: path.join(runDir, 'temporal.db'),
  });
  const port = await findFreePort('127.0.0.1');
  const env: Record<string, string> = {
    ...benchEnvironment(
      { redisUrl: args.redisUrl, tiktokQuota: 600, concurrency: 50 },
      { simulator, databaseUrl, keyPrefix, temporalAddress: devServer.address, taskQueue: `bench-${runId}` },
    ),
    PORT: String(port),
    RATE_LIMIT_GENERAL: RAISED_LIMIT,
    RATE_LIMIT_AUTH: RAISED_LIMIT,
    RATE_LIMIT_SOCIAL: RAISED_LIMIT,
    RATE_LIMIT_CONNECTION: RAISED_LIMIT,
  };
  const children: ReturnType<typeof spawnTypeScript>[] = [];
  try {
    await ensureDatabaseExists(databaseUrl);
    const orm = await openOrm({ databaseUrl, poolMax: 2 });
    await migrateToLatest(orm).finally(() => orm.close());
    await seedDemoData({
      databaseUrl,
      encryptionKey: env.ENCRYPTION_KEY,
      adminPassword: 'unused',
      simulator,
    });
    const worker = spawnTypeScript('src/start-worker.ts', env);
    const api = spawnTypeScript('src/start-api.ts', env, cpuProfileFlags(args.cpuProfileDir));
    children.push(worker, api);
    const tails = [captureTail(worker), captureTail(api)];
    const base = `http://127.0.0.1:${port}`;
    await waitFor('API', () => httpOk(`${base}/readyz`)).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${tails.map((tail) => tail()).join('\n')}`);
    });
    const token = await login(base);
    const workflowPath = await completedSyncWorkflow(base, token);
    log(`stack ready (API ${base}); ${args.durationSeconds} s per route`);

    const loadArgs = { ...args, apiPid: api.pid };
    const auth = { authorization: `Bearer ${token}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const routes: Record<RouteName, () => Promise<RouteFigures>> = {
      healthz: () => load('GET /healthz', `${base}/healthz`, args.connections, loadArgs),
      accounts: () =>
        load('GET /api/v1/accounts', `${base}/api/v1/accounts`, args.connections, loadArgs, auth),
      status: () =>
        load('GET /api/v1/workflows/:id', `${base}${workflowPath}`, args.connections, loadArgs, auth),
      sync: () =>
        load(
          'POST /api/v1/tiktok/sync',
          `${base}/api/v1/tiktok/sync`,
          args.syncConnections,
          loadArgs,
          json,
          'POST',
        ),
      start: () => startsWithoutApi(devServer.address, `bench-${runId}`, accountIdOf(workflowPath), args),
    };
    const results: RouteFigures[] = [];
    for (const name of args.routes) results.push(await routes[name]());
    process.stdout.write(`${formatApiReport(args, results)}\n`);
  } finally {
    await Promise.allSettled(children.map((child) => stopChild(child)));
    await simulator.stop();
    await devServer.stop();
    await dropDatabase(args.postgresUrl, databaseUrl);
    await deleteRedisKeys(args.redisUrl, keyPrefix);
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

/** The TikTok account the first sync synced: its status path ends with `sync-account-<accountId>`. */
function accountIdOf(workflowPath: string): string {
  const match = /sync-account-([^/]+)$/.exec(workflowPath);
  if (!match) throw new Error(`no account id in ${workflowPath}`);
  return match[1];
}

/**
 * POST /sync's one Temporal call (startAccountSync: start with USE_EXISTING, same search attributes) made by
 * `syncConnections` callers of one client for the same time, with the same worker running what they start:
 * what Temporal alone answers in, on this machine, under the route's load.
 */
async function startsWithoutApi(
  address: string,
  taskQueue: string,
  accountId: string,
  { durationSeconds, syncConnections }: Pick<ApiBenchArgs, 'durationSeconds' | 'syncConnections'>,
): Promise<RouteFigures> {
  const label = 'Temporal start alone (no API)';
  log(`${label}: ${syncConnections} callers`);
  const client = await connectTemporalClient({ address, namespace: 'default' });
  const workflows = createWorkflowClient({ client, taskQueue });
  const latencies: number[] = [];
  let errors = 0;
  const endAt = Date.now() + durationSeconds * 1000;
  const caller = async () => {
    while (Date.now() < endAt) {
      const startedAt = performance.now();
      try {
        await workflows.startAccountSync({ id: accountId, platform: 'tiktok' }, 'api');
        latencies.push(performance.now() - startedAt);
      } catch {
        errors++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: syncConnections }, caller));
  } finally {
    await client.connection.close();
  }
  latencies.sort((a, b) => a - b);
  const at = (share: number) => Math.round(latencies[Math.floor(share * (latencies.length - 1))] ?? 0);
  return {
    label,
    apiCpuUsPerRequest: null,
    connections: syncConnections,
    requestsPerSecond: latencies.length / durationSeconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    non2xx: 0,
    errors,
  };
}

interface RouteFigures {
  label: string;
  /** CPU time of the API process per answered request (user + system): steadier than req/s on a busy machine. */
  apiCpuUsPerRequest: number | null;
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

async function load(
  label: string,
  url: string,
  connections: number,
  { durationSeconds, apiPid }: Pick<ApiBenchArgs, 'durationSeconds'> & { apiPid: number | undefined },
  headers: Record<string, string> = {},
  method: 'GET' | 'POST' = 'GET',
): Promise<RouteFigures> {
  log(`${label}: ${connections} connections`);
  const cpuBefore = processCpuMs(apiPid);
  const result = await autocannon({
    url,
    method,
    headers,
    connections,
    duration: durationSeconds,
    ...(method === 'POST' ? { body: '{}' } : {}),
  });
  const cpuAfter = processCpuMs(apiPid);
  const answered = result.requests.total;
  return {
    label,
    apiCpuUsPerRequest:
      cpuBefore !== null && cpuAfter !== null && answered > 0
        ? ((cpuAfter - cpuBefore) * 1000) / answered
        : null,
    connections,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

export function formatApiReport(args: ApiBenchArgs, results: RouteFigures[]): string {
  const healthz = results.find((r) => r.label === 'GET /healthz');
  const accounts = results.find((r) => r.label === 'GET /api/v1/accounts');
  const lines = [
    `socialsync API benchmark (autocannon, ${args.durationSeconds} s per route)`,
    ...results.map(
      (r) =>
        `  ${r.label.padEnd(30)} ${String(r.connections).padStart(3)} conn  ${r.requestsPerSecond
          .toFixed(0)
          .padStart(
            6,
          )} req/s  p50 ${String(r.p50Ms).padStart(4)} ms  p99 ${String(r.p99Ms).padStart(4)} ms  ${
          r.apiCpuUsPerRequest === null ? '' : `API CPU ${r.apiCpuUsPerRequest.toFixed(0).padStart(5)} us/req`
        }` + (r.non2xx || r.errors ? `  (non-2xx ${r.non2xx}, errors ${r.errors})` : ''),
    ),
  ];
  if (healthz && accounts)
    lines.push(
      `  GET /api/v1/accounts: ${accounts.requestsPerSecond.toFixed(0)} req/s = ${(
        (100 * accounts.requestsPerSecond) /
        healthz.requestsPerSecond
      ).toFixed(1)} % of /healthz`,
    );
  return lines.join('\n');
}

async function login(base: string): Promise<string> {
  const response = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(DEMO_USER),
  });
  if (!response.ok) throw new Error(`login answered ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** Starts one TikTok sync and waits for it: the status route then reads a closed run (describe + result). */
async function completedSyncWorkflow(base: string, token: string): Promise<string> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const started = await fetch(`${base}/api/v1/tiktok/sync`, { method: 'POST', headers, body: '{}' });
  if (started.status !== 202) throw new Error(`POST /tiktok/sync answered ${started.status}`);
  const { statusUrl } = (await started.json()) as { statusUrl: string };
  await waitFor('the first sync', async () => {
    const view = await fetch(`${base}${statusUrl}`, { headers });
    return ((await view.json()) as { status: string }).status === 'COMPLETED';
  });
  return statusUrl;
}

function parseApiBenchArgs(argv: string[]): ApiBenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '20' },
      'sync-connections': { type: 'string', default: '10' },
      'cpu-prof': { type: 'string' },
      routes: { type: 'string', default: ROUTE_NAMES.join(',') },
      'postgres-url': { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432/postgres' },
      'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    },
  });
  const routes = values.routes!.split(',') as RouteName[];
  const unknown = routes.filter((name) => !ROUTE_NAMES.includes(name));
  if (unknown.length)
    throw new Error(`--routes: unknown ${unknown.join(', ')} (known: ${ROUTE_NAMES.join(', ')})`);
  return {
    routes,
    durationSeconds: Number(values.duration),
    connections: Number(values.connections),
    syncConnections: Number(values['sync-connections']),
    cpuProfileDir: values['cpu-prof'] ? path.resolve(values['cpu-prof']) : null,
    postgresUrl: values['postgres-url']!,
    redisUrl: values['redis-url']!,
  };
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
