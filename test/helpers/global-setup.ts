import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { startDevServer, type DevServer } from '../../src/devtools/dev/temporal-dev-server';
import { writeWorkflowBundle } from '../../src/temporal/workflow-bundle';
import { PROJECT_ROOT, readToolchain } from '../../src/devtools/tooling/toolchain';
import { databaseUrl, publishIntegrationEnv, type IntegrationEnv } from './integration-env';

declare global {
  var __SOCIALSYNC_TEARDOWN__: (() => Promise<void>) | undefined;
}

/**
 * Starts what integration tests need, once per run: a real Temporal dev server (own readiness wait), a
 * freshly migrated PostgreSQL template database, a Redis key prefix, and the workflow bundle.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const runDir = path.join(PROJECT_ROOT, '.data', 'test-runs', runId);
  fs.mkdirSync(runDir, { recursive: true });
  const toolchain = readToolchain();
  const postgresUrl = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

  const [server, templateDatabase, workflowBundlePath] = await Promise.all([
    startDevServer({ executable: toolchain.temporalCli.path, logFile: path.join(runDir, 'temporal.log') }),
    createTemplateDatabase(postgresUrl, `socialsync_test_${runId}`),
    writeWorkflowBundle(path.join(runDir, 'workflow-bundle.js')).then(() =>
      path.join(runDir, 'workflow-bundle.js'),
    ),
    assertRedisAnswers(redisUrl),
  ]);
  const env: IntegrationEnv = {
    runId,
    temporalAddress: server.address,
    templateDatabase,
    postgresUrl,
    redisUrl,
    redisKeyPrefix: `socialsync-test:${runId}:`,
    workflowBundlePath,
    testServerPath: toolchain.testServer.path,
  };
  publishIntegrationEnv(env);
  globalThis.__SOCIALSYNC_TEARDOWN__ = () => teardown(env, server, runDir);
  process.stdout.write(
    `\n[integration] Temporal dev server ${server.address} (${toolchain.temporalCli.source}), ` +
      `PostgreSQL template ${templateDatabase}, Redis ${redisUrl} prefix ${env.redisKeyPrefix}; ` +
      `ready in ${Date.now() - started} ms\n`,
  );
}

/**
 * Migrates through `npm run db:migrate`'s own entry point, in a child process: MikroORM initialised in jest's
 * global-setup realm breaks later inits inside test files (mikro-orm/mikro-orm#3783), and this also proves
 * the script works.
 */
async function createTemplateDatabase(postgresUrl: string, name: string): Promise<string> {
  await withPg(postgresUrl, (client) => client.query(`create database "${name}"`));
  const result = spawnSync(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), ['src/db/migrate.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl(postgresUrl, name) },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`migrating ${name} failed:\n${result.stderr}${result.stdout}`);
  return name;
}

async function assertRedisAnswers(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis at ${url} does not answer (${(error as Error).message}): start it (see .ci/run)`);
  } finally {
    redis.disconnect();
  }
}

async function teardown(env: IntegrationEnv, server: DevServer, runDir: string): Promise<void> {
  await server.stop();
  await withPg(env.postgresUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      'select datname from pg_database where datname like $1',
      [`socialsync_test_${env.runId}%`],
    );
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
  });
  const redis = new Redis(env.redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.redisKeyPrefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  fs.rmSync(runDir, { recursive: true, force: true });
}

export async function withPg<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
