import type { Config } from '../../config';
import { createTransport, type PlatformClientDeps } from '../http';
import { InstagramClient } from './client';

export { InstagramClient, MIN_REFRESH_AGE_MS } from './client';
export type { LongLivedToken, ShortLivedToken } from './oauth';
export { parseUsageHeaders } from './usage';

export function createInstagramClient(
  config: Pick<Config, 'instagram' | 'platformTimeoutMs'>,
  deps: PlatformClientDeps = {},
): InstagramClient {
  return new InstagramClient({
    settings: config.instagram,
    transport: createTransport('instagram', config.platformTimeoutMs, deps),
    now: deps.now ?? (() => new Date()),
  });
}
