import type { Redis } from 'ioredis';
import type { Profile } from '../platforms/types';

/**
 * Resume, don't redo: a sync whose media calls were refused (a spent budget, a 429, a transient error) keeps
 * the profile it already read here, so its next attempt, in a new activity after a durable wait, goes straight
 * to the media and does not call the profile endpoint again. The profile holds ids, names and counters, never
 * a token; it lives in Redis rather than in the workflow's input so that workflow history carries only ids,
 * counters and codes. The TTL bounds how old a kept profile can be: the fleet gives up on an account after
 * 10 minutes of waiting for its own throttle, and a sync whose profile is gone just reads it again.
 */
export const PROFILE_STASH_TTL_MS = 10 * 60_000;

export interface ProfileStash {
  save(accountId: string, profile: Profile): Promise<void>;
  /** The kept profile, if one is still there. */
  read(accountId: string): Promise<Profile | null>;
  clear(accountId: string): Promise<void>;
}

export function createProfileStash({ redis, keyPrefix }: { redis: Redis; keyPrefix: string }): ProfileStash {
  const key = (accountId: string) => `${keyPrefix}sync:profile:${accountId}`;
  return {
    async save(accountId, profile) {
      await redis.set(key(accountId), JSON.stringify(profile), 'PX', PROFILE_STASH_TTL_MS);
    },
    async read(accountId) {
      const raw = await redis.get(key(accountId));
      return raw ? (JSON.parse(raw) as Profile) : null;
    },
    async clear(accountId) {
      await redis.del(key(accountId));
    },
  };
}
