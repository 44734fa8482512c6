import type { Redis } from 'ioredis';

/**
 * One sync per account at a time across the whole system: the fleet run's activity and an on-demand
 * syncAccountWorkflow's activity both take this lease before touching the platform. The owner is the
 * workflow id + account id (activities/context.ts), the same for every attempt of that workflow, so a retried
 * attempt takes its own lease back at once; a crashed worker's lease ends with its TTL.
 */
export interface AccountLease {
  /** true when `owner` now holds the lease (freshly, or again). */
  acquire(accountId: string, owner: string, ttlMs: number): Promise<boolean>;
  release(accountId: string, owner: string): Promise<void>;
}

const ACQUIRE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type LeaseRedis = Redis & {
  syncLeaseAcquire(key: string, owner: string, ttlMs: number): Promise<number>;
  syncLeaseRelease(key: string, owner: string): Promise<number>;
};

export function createAccountLease({ redis, keyPrefix }: { redis: Redis; keyPrefix: string }): AccountLease {
  const scripted = redis as LeaseRedis;
  if (typeof scripted.syncLeaseAcquire !== 'function')
    redis.defineCommand('syncLeaseAcquire', { numberOfKeys: 1, lua: ACQUIRE_SCRIPT });
  if (typeof scripted.syncLeaseRelease !== 'function')
    redis.defineCommand('syncLeaseRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
  const key = (accountId: string) => `${keyPrefix}sync:lease:${accountId}`;
  return {
    async acquire(accountId, owner, ttlMs) {
      return (await scripted.syncLeaseAcquire(key(accountId), owner, Math.ceil(ttlMs))) === 1;
    },
    async release(accountId, owner) {
      await scripted.syncLeaseRelease(key(accountId), owner);
    },
  };
}
