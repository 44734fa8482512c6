import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../config';
import { AccountStore } from './accounts/store';
import { SimulatorControl } from './control/control';
import { createControlHandler } from './control/http';
import { SimClock } from './core/clock';
import { FaultInjector } from './core/faults';
import { resolveSettings, type SimulatorOptions, type SimulatorSettings } from './core/options';
import { QuotaBook } from './core/quotas';
import { createRandom, deriveSeed } from './core/random';
import { RequestLog } from './core/request-log';
import { createInstagramRoutes } from './instagram';
import { InstagramTokenStore } from './instagram/tokens';
import { createListener } from './server/listener';
import { MOUNTS } from './server/mounts';
import { Sleeper } from './server/sleeper';
import type { SimState, SimulatorUrls } from './server/types';
import { createTikTokRoutes } from './tiktok';
import { TikTokTokenStore } from './tiktok/tokens';

export type { SimulatorOptions, SimulatorSettings, SimulatorUrls };
export { SimulatorControl } from './control/control';
export type { AccountView, IssuedTokens, PostView } from './control/views';
export { SIM_ENDPOINTS, type EndpointId } from './core/endpoints';
export { FAILURE_KINDS, type FailureKind } from './core/faults';
export type { EndpointFaults, FaultSettings } from './core/options';
export type { EndpointStats, RequestLogSnapshot } from './core/request-log';

export interface Simulator {
  /** Listens on 127.0.0.1 (or `options.host`); port 0 picks a free one. */
  start(port?: number): Promise<SimulatorUrls>;
  stop(): Promise<void>;
  readonly control: SimulatorControl;
  /** Throws before start(). */
  readonly urls: SimulatorUrls;
}

/** A fake Instagram + TikTok on one port, per docs/platforms.md#what-the-simulator-must-reproduce. */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const initial = resolveSettings(options);
  const state = createState(initial, options.clockOffsetMs ?? 0);
  const control = new SimulatorControl(state, () => resetState(state, initial));
  const sleeper = new Sleeper();
  const hosts = {
    instagram: createInstagramRoutes(state),
    tiktok: createTikTokRoutes(state),
    control: createControlHandler(control, () => describe(state)),
  };
  let server: Server | null = null;

  return {
    control,
    get urls() {
      if (!state.urls) throw new Error('simulator not started');
      return state.urls;
    },
    async start(port = 0) {
      server = createServer(createListener(state, hosts, sleeper));
      const host = options.host ?? '127.0.0.1';
      // 1,000 parallel clients connect at once in the quota tests: a deep accept backlog avoids resets.
      await new Promise<void>((resolve, reject) => {
        // A taken port rejects (EADDRINUSE) so the caller can choose another.
        server!.once('error', reject);
        server!.listen({ port, host, backlog: 4096 }, resolve);
      }).catch((error: unknown) => {
        server = null;
        throw error;
      });
      const address = server.address() as AddressInfo;
      state.urls = urlsFor(`http://${host.includes(':') ? `[${host}]` : host}:${address.port}`);
      return state.urls;
    },
    async stop() {
      sleeper.wakeAll();
      if (!server) return;
      const closing = new Promise<void>((resolve) => server!.close(() => resolve()));
      server.closeAllConnections();
      await closing;
      server = null;
    },
  };
}

/**
 * The environment variables that point a service process's platform clients at this simulator, with its
 * apps' credentials (the redirect URIs are the caller's: they name where the browser returns).
 */
export function simulatorEnv(simulator: Simulator): Record<string, string> {
  const { urls } = simulator;
  const apps = simulator.control.apps();
  return {
    INSTAGRAM_APP_ID: apps.instagram.appId,
    INSTAGRAM_APP_SECRET: apps.instagram.appSecret,
    INSTAGRAM_GRAPH_URL: urls.instagramGraphUrl,
    INSTAGRAM_OAUTH_URL: urls.instagramOauthUrl,
    INSTAGRAM_AUTHORIZE_URL: urls.instagramAuthorizeUrl,
    TIKTOK_CLIENT_KEY: apps.tiktok.clientKey,
    TIKTOK_CLIENT_SECRET: apps.tiktok.clientSecret,
    TIKTOK_API_URL: urls.tiktokApiUrl,
    TIKTOK_AUTHORIZE_URL: urls.tiktokAuthorizeUrl,
  };
}

/** The clients' config pointed at a running simulator, credentials included. */
export function withSimulator<T extends Pick<Config, 'instagram' | 'tiktok'>>(
  config: T,
  simulator: Simulator,
): T {
  const { urls } = simulator;
  const apps = simulator.control.apps();
  return {
    ...config,
    instagram: {
      ...config.instagram,
      appId: apps.instagram.appId,
      appSecret: apps.instagram.appSecret,
      graphUrl: urls.instagramGraphUrl,
      oauthUrl: urls.instagramOauthUrl,
      authorizeUrl: urls.instagramAuthorizeUrl,
    },
    tiktok: {
      ...config.tiktok,
      clientKey: apps.tiktok.clientKey,
      clientSecret: apps.tiktok.clientSecret,
      apiUrl: urls.tiktokApiUrl,
      authorizeUrl: urls.tiktokAuthorizeUrl,
    },
  };
}

function urlsFor(base: string): SimulatorUrls {
  return {
    instagramGraphUrl: `${base}${MOUNTS.instagramGraph}`,
    instagramOauthUrl: `${base}${MOUNTS.instagramApi}`,
    instagramAuthorizeUrl: `${base}${MOUNTS.instagramWww}/oauth/authorize`,
    tiktokApiUrl: `${base}${MOUNTS.tiktokApi}`,
    tiktokAuthorizeUrl: `${base}${MOUNTS.tiktokWww}/v2/auth/authorize/`,
    controlUrl: `${base}${MOUNTS.control}`,
  };
}

function createState(initial: SimulatorSettings, clockOffsetMs: number): SimState {
  const clock = new SimClock(clockOffsetMs);
  const state: SimState = {
    settings: structuredClone(initial),
    clock,
    accounts: new AccountStore(initial.seed, () => clock.nowMs()),
    instagramTokens: new InstagramTokenStore(),
    tiktokTokens: new TikTokTokenStore(),
    quotas: new QuotaBook(),
    faults: new FaultInjector(
      () => state.settings.faults,
      () => state.random(),
    ),
    log: new RequestLog(
      () => clock.nowMs(),
      () => state.settings.quotas.tiktok.windowMs,
    ),
    random: createRandom(deriveSeed(initial.seed, 'runtime', 0)),
    urls: null,
  };
  state.accounts.seedAccounts(initial.accountsPerPlatform);
  return state;
}

function resetState(state: SimState, initial: SimulatorSettings): void {
  state.settings = structuredClone(initial);
  state.clock.reset();
  state.accounts = new AccountStore(initial.seed, () => state.clock.nowMs());
  state.accounts.seedAccounts(initial.accountsPerPlatform);
  state.instagramTokens.clear();
  state.tiktokTokens.clear();
  state.quotas.clear();
  state.faults.clearFlaky();
  state.log.clear();
  state.random = createRandom(deriveSeed(initial.seed, 'runtime', 0));
}

function describe(state: SimState) {
  return {
    now: state.clock.now(),
    clockOffsetMs: state.clock.offset,
    urls: state.urls,
    settings: state.settings,
    accounts: { instagram: state.accounts.count('instagram'), tiktok: state.accounts.count('tiktok') },
  };
}
