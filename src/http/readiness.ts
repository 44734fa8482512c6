import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';

export type ReadinessCheck = () => Promise<void>;
export type ReadinessChecks = Record<string, ReadinessCheck>;

const CHECK_TIMEOUT_MS = 2000;

export function createReadinessChecks(deps: {
  orm: MikroORM;
  redis: Redis | null;
  temporal: Client;
}): ReadinessChecks {
  const checks: ReadinessChecks = {
    postgres: async () => {
      await deps.orm.em.getConnection().execute('select 1');
    },
    temporal: async () => {
      await deps.temporal.connection.workflowService.getSystemInfo({});
    },
  };
  const redis = deps.redis;
  if (redis) checks.redis = async () => void (await redis.ping());
  return checks;
}

/** Runs every check in parallel with a deadline; returns the names of those that failed. */
export async function findUnavailable(checks: ReadinessChecks): Promise<string[]> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), CHECK_TIMEOUT_MS);
        return null;
      } catch {
        return name;
      }
    }),
  );
  return results.filter((name): name is string => name !== null);
}

/** `promise`, or a rejection once `ms` passed without it settling. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
