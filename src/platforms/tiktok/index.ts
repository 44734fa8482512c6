import type { Config } from '../../config';
import { createTransport, type PlatformClientDeps } from '../http';
import { TikTokClient } from './client';

export { TikTokClient, VIDEO_PAGE_SIZE } from './client';

export function createTikTokClient(
  config: Pick<Config, 'tiktok' | 'platformTimeoutMs'>,
  deps: PlatformClientDeps = {},
): TikTokClient {
  const transport = createTransport('tiktok', config.platformTimeoutMs, deps);
  return new TikTokClient(config.tiktok, transport, deps.now ?? (() => new Date()));
}
