import { oauthCallbackPath } from '../../http/routes/oauth-callback';
import { createSimulator, simulatorEnv, type Simulator } from '../simulator';
import { listenOnPreferredPort } from './ports';

export interface DevPlatforms {
  /** Variables the worker and API need to talk to the platforms (the simulator's, when it runs). */
  env: Record<string, string>;
  /** The redirect URIs for an API at `apiBase` (when the simulator runs; real apps keep their own). */
  redirectEnv(apiBase: string): Record<string, string>;
  simulator: Simulator | null;
  source: string;
  stop(): Promise<void>;
}

const REAL_CREDENTIALS = [
  'INSTAGRAM_APP_ID',
  'INSTAGRAM_APP_SECRET',
  'TIKTOK_CLIENT_KEY',
  'TIKTOK_CLIENT_SECRET',
];

/**
 * With real Instagram and TikTok credentials in the environment the clients talk to the real hosts; without
 * them the simulator runs inside the dev runner (seeded, deterministic) and the clients point at it.
 */
export async function provideDevPlatforms(env: NodeJS.ProcessEnv): Promise<DevPlatforms> {
  if (REAL_CREDENTIALS.every((name) => env[name])) {
    return {
      env: {},
      redirectEnv: () => ({}),
      simulator: null,
      source: 'real Instagram and TikTok (credentials set)',
      stop: async () => undefined,
    };
  }
  const simulator = createSimulator({ seed: 42, accountsPerPlatform: Number(env.SIMULATOR_ACCOUNTS ?? 20) });
  const preferred = Number(env.SIMULATOR_PORT ?? 4100);
  const urls = await listenOnPreferredPort(preferred, (port) => simulator.start(port));
  // The API's own callback: a browser that went through the simulator's consent lands there, connected.
  const redirectEnv = (apiBase: string) => ({
    INSTAGRAM_REDIRECT_URI: `${apiBase}${oauthCallbackPath('instagram')}`,
    TIKTOK_REDIRECT_URI: `${apiBase}${oauthCallbackPath('tiktok')}`,
  });
  return {
    env: {
      ...redirectEnv(`http://127.0.0.1:${env.PORT ?? 3000}`),
      ...simulatorEnv(simulator),
    },
    redirectEnv,
    simulator,
    source: `simulator at ${urls.controlUrl.replace(/\/_control$/, '')} (no real credentials set; control: ${urls.controlUrl}/state)`,
    stop: () => simulator.stop(),
  };
}
