import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createTokenCipher } from '../../src/crypto/token-cipher';
import { loadConfig } from '../../src/config';
import type { Platform } from '../../src/platforms/types';
import { findFreePort } from '../../src/process/free-port';
import { createSimulator, type Simulator } from '../../src/devtools/simulator';
import { RELAXED_LIMITS, readLatestOtp } from '../helpers/api';
import { TEST_ENV } from '../helpers/config';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { getIntegrationEnv } from '../helpers/integration-env';
import { uniqueTaskQueue } from '../helpers/temporal';
import { createOpsNamespace, eventually, serviceEnv } from '../helpers/processes';
import { exitCodeWithin, startService, type ServiceProcess } from '../helpers/service-process';

jest.setTimeout(240_000);

/**
 * The real worker and API processes (src/start-worker.ts, src/start-api.ts) on the run's infrastructure:
 * a user signs up, connects an Instagram and a TikTok account, syncs both; an admin runs a fleet sync and a
 * fleet token refresh. Then both /metrics endpoints and every line both processes wrote are examined.
 */
describe('observability of the real processes: /metrics and structured logs', () => {
  let namespace: string;
  let db: TestDatabase;
  let simulator: Simulator;
  let connection: Connection;
  let client: Client;
  let worker: ServiceProcess;
  let api: ServiceProcess;
  let apiUrl: string;
  let workerMetricsUrl: string;
  let outboxDir: string;
  const secrets = new Set<string>();
  const accounts: Record<Platform, { id: string; externalId: string }> = {} as never;
  let requestIdSeen = '';

  beforeAll(async () => {
    [namespace, db] = await Promise.all([createOpsNamespace('observability'), createTestDatabase()]);
    simulator = createSimulator({ accountsPerPlatform: 0 });
    await simulator.start();
    connection = await Connection.connect({ address: getIntegrationEnv().temporalAddress });
    client = new Client({ connection, namespace });
    outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsync-observability-'));
    const [apiPort, metricsPort] = [await findFreePort(), await findFreePort()];
    const env = serviceEnv({
      databaseUrl: db.url,
      namespace,
      taskQueue: uniqueTaskQueue('observability'),
      simulator,
      extra: {
        ...RELAXED_LIMITS,
        PORT: String(apiPort),
        WORKER_METRICS_PORT: String(metricsPort),
        MAIL_OUTBOX_FILE: path.join(outboxDir, 'outbox.jsonl'),
      },
    });
    for (const name of [
      'ENCRYPTION_KEY',
      'JWT_SECRET',
      'CRON_JOB_SECRET',
      'INSTAGRAM_APP_SECRET',
      'TIKTOK_CLIENT_SECRET',
    ])
      secrets.add(env[name]);
    worker = startService('src/start-worker.ts', env);
    api = startService('src/start-api.ts', env);
    await Promise.all([
      worker.waitForLog((line) => line.msg === 'worker running', 'worker running'),
      api.waitForLog((line) => line.msg === 'api listening', 'api listening'),
    ]);
    apiUrl = `http://127.0.0.1:${apiPort}`;
    workerMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    await runTheDay(env);
  });

  afterAll(async () => {
    for (const service of [worker, api]) service?.child.kill('SIGTERM');
    await Promise.allSettled([worker, api].map((service) => service && exitCodeWithin(service, 60_000)));
    [worker, api].forEach((service) => service?.kill());
    await Promise.allSettled([connection?.close(), simulator?.stop(), db?.drop()]);
    fs.rmSync(outboxDir, { recursive: true, force: true });
  });

  /** Sign-up, connect both platforms, sync both, then an admin's fleet sync and fleet refresh. */
  async function runTheDay(env: Record<string, string>) {
    const email = 'observed@socialsync.test';
    const password = 'observed password 123';
    secrets.add(password);
    expect(
      (await call('POST', '/auth/signup/influencer', { body: { email, password, name: 'Observed' } })).status,
    ).toBe(201);
    const otp = await readLatestOtp(env.MAIL_OUTBOX_FILE, email);
    secrets.add(otp);
    const verified = await call('POST', '/auth/verify-otp', { body: { email, otp } });
    const token = ((await verified.json()) as { token: string }).token;
    secrets.add(token);
    const auth = { authorization: `Bearer ${token}` };

    for (const platform of ['instagram', 'tiktok'] as const) {
      const { externalId } = simulator.control.addAccount(platform, { postCount: 3 });
      const authorize = await call('GET', `/accounts/${platform}/authorize-url`, { headers: auth });
      const { state } = (await authorize.json()) as { state: string };
      const { code } = simulator.control.issueAuthCode(platform, externalId);
      secrets.add(code);
      const connected = await call('POST', `/accounts/${platform}/connect`, {
        headers: auth,
        body: { code, state },
      });
      expect(connected.status).toBe(201);
      accounts[platform] = {
        id: ((await connected.json()) as { account: { id: string } }).account.id,
        externalId,
      };
      await rememberStoredTokens(accounts[platform].id);
      const sync = await call('POST', `/${platform}/sync`, { headers: auth });
      expect(sync.status).toBe(202);
      requestIdSeen = sync.headers.get('x-request-id') ?? '';
      const { workflowId } = (await sync.json()) as { workflowId: string };
      await eventually(async () => {
        const status = (await (await call('GET', `/workflows/${workflowId}`, { headers: auth })).json()) as {
          status: string;
        };
        return status.status === 'COMPLETED';
      }, `${platform} sync to complete`);
    }

    const cron = { 'x-cron-secret': env.CRON_JOB_SECRET };
    const fleet = await call('POST', '/admin/sync-data', { headers: cron, body: { minAgeHours: 0 } });
    expect(fleet.status).toBe(202);
    const fleetId = ((await fleet.json()) as { workflowId: string }).workflowId;
    expect(await client.workflow.getHandle(fleetId).result()).toMatchObject({ succeeded: 2 });
    const refresh = await call('POST', '/admin/refresh-tokens', { headers: cron, body: { windowDays: 7 } });
    expect(refresh.status).toBe(202);
    const refreshId = ((await refresh.json()) as { workflowId: string }).workflowId;
    // TikTok access tokens live 24 h: due within 7 days, refreshed (and rotated).
    expect(await client.workflow.getHandle(refreshId).result()).toMatchObject({ refreshed: 1 });
    await rememberStoredTokens(accounts.tiktok.id);
  }

  function call(
    method: string,
    route: string,
    options: { headers?: Record<string, string>; body?: unknown } = {},
  ) {
    return fetch(`${apiUrl}/api/v1${route}`, {
      method,
      headers: { ...options.headers, ...(options.body ? { 'content-type': 'application/json' } : {}) },
      body: options.body ? JSON.stringify(options.body) : undefined,
    });
  }

  /** The tokens the simulator issued, as stored (decrypted with the service's key). */
  async function rememberStoredTokens(accountId: string) {
    const cipher = createTokenCipher(loadConfig(TEST_ENV).encryption);
    const [row] = await db.orm.em
      .fork()
      .getConnection()
      .execute<{ access_token_enc: string; refresh_token_enc: string | null }[]>(
        'select access_token_enc, refresh_token_enc from social_accounts where id = ?',
        [accountId],
      );
    secrets.add(cipher.decrypt(row.access_token_enc));
    if (row.refresh_token_enc) secrets.add(cipher.decrypt(row.refresh_token_enc));
  }

  async function scrape(url: string): Promise<string[]> {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    return (await response.text()).split('\n');
  }

  /** The value of the first sample of `name` whose labels include all of `labels`. */
  function sample(lines: string[], name: string, labels: Record<string, string>): number | undefined {
    const line = lines.find(
      (text) =>
        text.startsWith(`${name}{`) &&
        Object.entries(labels).every(([key, value]) => text.includes(`${key}="${value}"`)),
    );
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  it("the API's /metrics has the latency histogram by route and status, and the limiter outcomes", async () => {
    const lines = await scrape(`${apiUrl}/metrics`);
    const latency = 'socialsync_api_http_request_duration_seconds_count';
    expect(
      sample(lines, latency, { method: 'POST', route: '/api/v1/accounts/:platform/connect', status: '201' }),
    ).toBe(2);
    expect(sample(lines, latency, { method: 'POST', route: '/api/v1/admin/sync-data', status: '202' })).toBe(
      1,
    );
    expect(
      sample(lines, latency, { route: '/api/v1/workflows/:workflowId', status: '200' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      lines.some(
        (line) =>
          line.startsWith('socialsync_api_http_request_duration_seconds_bucket{') &&
          line.includes('le="0.1"'),
      ),
    ).toBe(true);
    const limiter = 'socialsync_api_rate_limit_decisions_total';
    expect(sample(lines, limiter, { policy: 'general', outcome: 'allowed' })).toBeGreaterThanOrEqual(10);
    expect(sample(lines, limiter, { policy: 'auth', outcome: 'allowed' })).toBe(2);
    expect(sample(lines, limiter, { policy: 'social', outcome: 'allowed' })).toBe(2);
    expect(sample(lines, limiter, { policy: 'connection', outcome: 'allowed' })).toBe(2);
  });

  it("the worker's /metrics has the Temporal SDK's runtime metrics and socialsync's sync and refresh series", async () => {
    const lines = await scrape(workerMetricsUrl);
    const sdk = lines.filter((line) => line.startsWith('temporal_'));
    expect(sdk.some((line) => line.startsWith('temporal_workflow_completed'))).toBe(true);
    expect(sdk.some((line) => line.startsWith('temporal_activity_execution_latency'))).toBe(true);
    expect(sdk.some((line) => line.startsWith('temporal_worker_task_slots_available'))).toBe(true);
    for (const platform of ['instagram', 'tiktok']) {
      // Twice each: the on-demand sync and the fleet run.
      expect(sample(lines, 'socialsync_account_syncs_total', { platform, outcome: 'synced' })).toBe(2);
      expect(sample(lines, 'socialsync_account_sync_duration_seconds_count', { platform })).toBe(2);
      expect(
        sample(lines, 'socialsync_platform_calls_total', { platform, endpoint: 'profile', outcome: 'ok' }),
      ).toBe(2);
    }
    expect(
      sample(lines, 'socialsync_token_refresh_attempts_total', { platform: 'tiktok', outcome: 'refreshed' }),
    ).toBe(1);
    expect(
      sample(lines, 'socialsync_token_refresh_duration_seconds_count', {
        platform: 'tiktok',
        outcome: 'refreshed',
      }),
    ).toBe(1);
    expect(sample(lines, 'socialsync_accounts', { platform: 'tiktok', status: 'active' })).toBe(1);
  });

  it('both processes log structured JSON with request, workflow and account ids, and never a token or password', () => {
    const apiLogs = api.logs();
    const workerLogs = worker.logs();
    // Every line either process wrote is one JSON object (pino), nothing else.
    for (const service of [api, worker]) {
      const unstructured = service.lines.filter((line) => line.trim() !== '' && !isJsonObject(line));
      expect(unstructured).toEqual([]);
    }
    const requests = apiLogs.filter((line) => line.msg === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(10);
    for (const line of requests) expect(line.requestId).toEqual(expect.any(String));
    expect(requests.find((line) => line.requestId === requestIdSeen)).toMatchObject({
      route: '/api/v1/tiktok/sync',
      status: 202,
    });

    for (const platform of ['instagram', 'tiktok'] as const) {
      const synced = workerLogs.filter(
        (line) => line.msg === 'account synced' && line.accountId === accounts[platform].id,
      );
      expect(synced.map((line) => line.workflowId).sort()).toEqual(
        ['sync-account-' + accounts[platform].id, 'sync-all-accounts-on-demand'].sort(),
      );
    }
    expect(
      workerLogs.find((line) => line.msg === 'token refresh' && line.accountId === accounts.tiktok.id),
    ).toMatchObject({
      workflowId: 'refresh-expiring-tokens-on-demand',
      platform: 'tiktok',
      outcome: 'refreshed',
    });

    // The exact secrets of this run (tokens as stored after connect and after the rotation, codes, OTP,
    // password, JWT, service secrets), and anything shaped like a simulator token or code.
    expect(secrets.size).toBeGreaterThanOrEqual(14);
    const output = [...api.lines, ...worker.lines].join('\n');
    for (const secret of secrets) expect(output.includes(secret) ? secret : null).toBeNull();
    expect(output).not.toMatch(/\b(act|rft)\.[0-9a-f]{20}\*/);
    expect(output).not.toMatch(/\bIGAA[\w-]{40,}/);
    expect(output).not.toMatch(/\bAQB[\w-]{40,}/);
  });
});

function isJsonObject(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
}
