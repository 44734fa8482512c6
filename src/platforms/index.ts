import type { Config } from '../config';
import type { PlatformClientDeps } from './http';
import { createInstagramClient } from './instagram';
import { createTikTokClient } from './tiktok';
import type { Platform, PlatformClient } from './types';

export * from './types';
export * from './errors';
export type { FetchLike, PlatformClientDeps } from './http';
export { createInstagramClient, InstagramClient } from './instagram';
export { createTikTokClient, TikTokClient } from './tiktok';

export type PlatformClientsConfig = Pick<Config, 'instagram' | 'tiktok' | 'platformTimeoutMs'>;

/** Both clients over one set of dependencies; activities look a client up by the account's platform. */
export function createPlatformClients(
  config: PlatformClientsConfig,
  deps: PlatformClientDeps = {},
): Record<Platform, PlatformClient> {
  return {
    instagram: createInstagramClient(config, deps),
    tiktok: createTikTokClient(config, deps),
  };
}
