import { createLogger } from './logger';
import { onShutdownSignal } from './process/boot';
import { createSimulator } from './devtools/simulator';

/**
 * Composition root of the standalone simulator (`npm run simulator`, and the dev stack). It needs none of
 * the service's secrets, so it reads its few settings here instead of through loadConfig:
 *   SIMULATOR_PORT (4100), SIMULATOR_HOST (127.0.0.1), SIMULATOR_ACCOUNTS per platform (50), SIMULATOR_SEED (42),
 *   SIMULATOR_LATENCY_MS / SIMULATOR_JITTER_MS (0), and the app credentials the service will present:
 *   INSTAGRAM_APP_ID, INSTAGRAM_APP_SECRET, INSTAGRAM_REDIRECT_URI, TIKTOK_CLIENT_KEY, TIKTOK_CLIENT_SECRET,
 *   TIKTOK_REDIRECT_URI (unset ones keep the simulator's defaults).
 */
async function main(): Promise<void> {
  const env = process.env;
  const logger = createLogger({ level: env.LOG_LEVEL ?? 'info', name: 'socialsync-simulator' });
  const latencyMs = Number(env.SIMULATOR_LATENCY_MS ?? 0);
  const jitterMs = Number(env.SIMULATOR_JITTER_MS ?? 0);
  const simulator = createSimulator({
    host: env.SIMULATOR_HOST ?? '127.0.0.1',
    seed: Number(env.SIMULATOR_SEED ?? 42),
    accountsPerPlatform: Number(env.SIMULATOR_ACCOUNTS ?? 50),
    apps: {
      instagram: defined({
        appId: env.INSTAGRAM_APP_ID,
        appSecret: env.INSTAGRAM_APP_SECRET,
        redirectUri: env.INSTAGRAM_REDIRECT_URI,
      }),
      tiktok: defined({
        clientKey: env.TIKTOK_CLIENT_KEY,
        clientSecret: env.TIKTOK_CLIENT_SECRET,
        redirectUri: env.TIKTOK_REDIRECT_URI,
      }),
    },
    faults: latencyMs || jitterMs ? { all: { latencyMs, jitterMs } } : {},
  });
  const urls = await simulator.start(Number(env.SIMULATOR_PORT ?? 4100));
  logger.info({ urls }, 'simulator listening');
  process.stdout.write(
    [
      'socialsync simulator listening:',
      `  INSTAGRAM_GRAPH_URL=${urls.instagramGraphUrl}`,
      `  INSTAGRAM_OAUTH_URL=${urls.instagramOauthUrl}`,
      `  INSTAGRAM_AUTHORIZE_URL=${urls.instagramAuthorizeUrl}`,
      `  TIKTOK_API_URL=${urls.tiktokApiUrl}`,
      `  TIKTOK_AUTHORIZE_URL=${urls.tiktokAuthorizeUrl}`,
      `  control: ${urls.controlUrl}/state`,
      '',
    ].join('\n'),
  );
  onShutdownSignal(logger, () => simulator.stop());
}

/** Drops unset keys so the simulator's defaults apply to them. */
function defined<T extends Record<string, string | undefined>>(values: T): Partial<Record<keyof T, string>> {
  return Object.fromEntries(
    Object.entries(values).filter(([, value]) => value !== undefined && value !== ''),
  ) as Partial<Record<keyof T, string>>;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `simulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
