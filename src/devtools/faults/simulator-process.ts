import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { Platform } from '../../platforms/types';
import { findFreePort } from '../../process/free-port';
import { captureTail, spawnTypeScript, stopChild } from '../bench/child-process';
import type {
  FailureKind,
  FaultSettings,
  IssuedTokens,
  RequestLogSnapshot,
  SimulatorUrls,
} from '../simulator';

/**
 * The platform simulator in its own process (`src/start-simulator.ts`, as `npm run simulator` runs it),
 * driven over its HTTP control API (src/devtools/simulator/README.md): the suite's own process then only
 * injects faults, sends API load and measures, and its timers do not compete with 300 ms platform replies.
 */
export interface SimulatorProcess {
  urls: SimulatorUrls;
  apps: SimulatorApps;
  control: SimulatorControlClient;
  stop(): Promise<void>;
}

export interface SimulatorApps {
  instagram: { appId: string; appSecret: string };
  tiktok: { clientKey: string; clientSecret: string };
}

export interface SimulatorControlClient {
  setFaults(faults: FaultSettings): Promise<void>;
  /** No random faults and no pending "fail the next calls" rules (latency included: set it again). */
  clearFaults(): Promise<void>;
  failNext(platform: Platform, externalId: string, count: number, failure: FailureKind): Promise<void>;
  setTikTokQuota(requestsPerWindow: number, windowMs: number): Promise<void>;
  /** Tokens for the seeded accounts offset..offset+limit of a platform. */
  issueTokens(platform: Platform, offset: number, limit: number): Promise<IssuedTokens[]>;
  requestLog(): Promise<RequestLogSnapshot>;
  clearRequestLog(): Promise<void>;
}

export async function startSimulatorProcess(options: {
  accountsPerPlatform: number;
  latencyMs: number;
}): Promise<SimulatorProcess> {
  const apps: SimulatorApps = {
    instagram: { appId: `faults-${hex(6)}`, appSecret: hex(16) },
    tiktok: { clientKey: `faults${hex(6)}`, clientSecret: hex(16) },
  };
  const port = await findFreePort();
  const child = spawnTypeScript('src/start-simulator.ts', {
    LOG_LEVEL: 'warn',
    SIMULATOR_HOST: '127.0.0.1',
    SIMULATOR_PORT: String(port),
    SIMULATOR_ACCOUNTS: String(options.accountsPerPlatform),
    SIMULATOR_LATENCY_MS: String(options.latencyMs),
    INSTAGRAM_APP_ID: apps.instagram.appId,
    INSTAGRAM_APP_SECRET: apps.instagram.appSecret,
    TIKTOK_CLIENT_KEY: apps.tiktok.clientKey,
    TIKTOK_CLIENT_SECRET: apps.tiktok.clientSecret,
  });
  const tail = captureTail(child);
  const controlUrl = `http://127.0.0.1:${port}/_control`;
  try {
    const state = await waitForState(controlUrl, child, tail);
    return {
      urls: state.urls,
      apps,
      control: controlClient(controlUrl),
      stop: () => stopChild(child),
    };
  } catch (error) {
    await stopChild(child, 1_000);
    throw error;
  }
}

async function waitForState(
  controlUrl: string,
  child: ChildProcess,
  tail: () => string,
): Promise<{ urls: SimulatorUrls }> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`simulator exited during start-up:\n${tail()}`);
    try {
      const response = await fetch(`${controlUrl}/state`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return (await response.json()) as { urls: SimulatorUrls };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`simulator not answering after 120 s:\n${tail()}`);
}

function controlClient(controlUrl: string): SimulatorControlClient {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${controlUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`simulator ${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
  return {
    setFaults: (faults) => call('PUT', '/faults', faults),
    clearFaults: () => call('DELETE', '/faults'),
    failNext: (platform, externalId, count, failure) =>
      call('POST', `/accounts/${platform}/${encodeURIComponent(externalId)}/fail-next`, { count, failure }),
    setTikTokQuota: (requestsPerWindow, windowMs) =>
      call('PUT', '/quotas', { tiktok: { requestsPerWindow, windowMs } }),
    issueTokens: (platform, offset, limit) => call('POST', `/tokens/${platform}`, { offset, limit }),
    requestLog: () => call('GET', '/requests'),
    clearRequestLog: () => call('DELETE', '/requests'),
  };
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
