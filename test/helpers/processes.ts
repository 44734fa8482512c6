import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { TokenCipher } from '../../src/crypto/token-cipher';
import type { User } from '../../src/db/entities';
import type { Platform } from '../../src/platforms/types';
import { SEARCH_ATTRIBUTES } from '../../src/devtools/dev/temporal-dev-server';
import { readToolchain } from '../../src/devtools/tooling/toolchain';
import { simulatorEnv, type Simulator } from '../../src/devtools/simulator';
import { seedConnectedAccount, type ConnectedAccount } from './accounts';
import { TEST_ENV } from './config';
import { getIntegrationEnv } from './integration-env';

const run = promisify(execFile);

/** The real `temporal` binary the dev server runs from (src/devtools/tooling/bootstrap.js chose it). */
export function temporalCliPath(): string {
  const path = readToolchain().temporalCli.path;
  if (!path) throw new Error('no temporal CLI binary in the toolchain (npm run bootstrap)');
  return path;
}

/** Runs the real `temporal` CLI against the run's dev server; resolves with stdout, rejects with stderr. */
export async function temporalCli(args: string[], namespace: string): Promise<string> {
  const { temporalAddress } = getIntegrationEnv();
  try {
    const { stdout } = await run(
      temporalCliPath(),
      [...args, '--address', temporalAddress, '--namespace', namespace],
      {
        timeout: 60_000,
      },
    );
    return stdout;
  } catch (error) {
    const failure = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(
      `temporal ${args.join(' ')} failed: ${failure.stderr || failure.stdout || failure.message}`,
    );
  }
}

/**
 * A namespace of its own on the run's dev server, with socialsync's search attributes: the fixed ids the
 * product uses (schedule ids, `sync-all-accounts-on-demand`) then collide with no other test file, and a real
 * worker process can run ensureSchedules without touching anyone else's schedules.
 */
export async function createOpsNamespace(label: string): Promise<string> {
  const namespace = `ops-${label}-${randomUUID().slice(0, 8)}`;
  await temporalCli(['operator', 'namespace', 'create', '--retention', '24h'], namespace);
  // One attribute per call: temporal 1.9 registers only the first --name of a call.
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES))
    await temporalCli(['operator', 'search-attribute', 'create', '--name', name, '--type', type], namespace);
  return namespace;
}

export interface ProcessEnvInput {
  databaseUrl: string;
  namespace: string;
  taskQueue: string;
  simulator: Simulator;
  extra?: Record<string, string>;
}

/**
 * The environment a real `src/start-*.ts` process gets in these tests: the run's PostgreSQL (a private
 * database), Redis (a private key prefix), Temporal (a private namespace and task queue) and the platform
 * clients pointed at the in-process simulator with its app credentials. Nothing else from the test process.
 */
export function serviceEnv({
  databaseUrl,
  namespace,
  taskQueue,
  simulator,
  extra,
}: ProcessEnvInput): Record<string, string> {
  const integration = getIntegrationEnv();
  return {
    PATH: process.env.PATH ?? '',
    ...TEST_ENV,
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    REDIS_URL: integration.redisUrl,
    REDIS_KEY_PREFIX: `${integration.redisKeyPrefix}${namespace}:`,
    TEMPORAL_ADDRESS: integration.temporalAddress,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...simulatorEnv(simulator),
    ...extra,
  };
}

/** Simulator accounts with `postCount` posts each, connected in the database with tokens the simulator issued. */
export async function seedAccounts(
  deps: { simulator: Simulator; orm: MikroORM; cipher: TokenCipher; owner: User },
  platform: Platform,
  count: number,
  postCount = 3,
): Promise<ConnectedAccount[]> {
  const seeded: ConnectedAccount[] = [];
  for (let i = 0; i < count; i++)
    seeded.push(await seedConnectedAccount(deps, deps.owner, platform, { postCount }));
  return seeded;
}

/** Polls until `probe` returns a value (not undefined/false) or the deadline passes. Generous by design. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
