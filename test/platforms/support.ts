import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';
import {
  createInstagramClient,
  createTikTokClient,
  isPlatformError,
  type PlatformClientsConfig,
  type Profile,
} from '../../src/platforms';
import type { FetchLike } from '../../src/platforms/http';
import {
  createSimulator,
  withSimulator,
  type AccountView,
  type Simulator,
  type SimulatorOptions,
} from '../../src/devtools/simulator';
import { makeTestConfig, simulatorAppsFor } from '../helpers/config';

/** Everything the clients logged, one JSON line per entry. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly logger = createLogger({
    level: 'trace',
    name: 'test',
    destination: new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  });
}

export interface Harness {
  sim: Simulator;
  config: PlatformClientsConfig;
  logs: LogCapture;
  instagram: ReturnType<typeof createInstagramClient>;
  tiktok: ReturnType<typeof createTikTokClient>;
}

/** A started simulator and both clients pointed at it, sharing the simulator's clock. */
export async function startHarness(
  options: SimulatorOptions = {},
  timeoutMs = 2_000,
  fetch?: FetchLike,
): Promise<Harness> {
  const base = makeTestConfig({ PLATFORM_TIMEOUT_MS: String(timeoutMs) });
  const sim = createSimulator({
    accountsPerPlatform: 8,
    ...options,
    apps: { ...simulatorAppsFor(base), ...options.apps },
    faults: { hangMs: 5_000, ...options.faults },
  });
  await sim.start();
  const config = withSimulator(base, sim);
  const logs = new LogCapture();
  const deps = { now: () => sim.control.now(), logger: logs.logger, fetch };
  return {
    sim,
    config,
    logs,
    instagram: createInstagramClient(config, deps),
    tiktok: createTikTokClient(config, deps),
  };
}

/** The first seeded account of a platform with at least `posts` posts (TikTok: public ones). */
export function accountWithPosts(sim: Simulator, platform: 'instagram' | 'tiktok', posts: number): string {
  const found = sim.control.listAccounts(platform).find((account) => account.mediaCount >= posts);
  if (!found) throw new Error(`no seeded ${platform} account with ${posts} posts`);
  return found.externalId;
}

/** The profile a client should read for a simulator account (its counters at the simulator's now). */
export function profileOf(account: AccountView): Profile {
  return {
    externalId: account.externalId,
    username: account.username,
    displayName: account.displayName,
    followers: account.followers,
    following: account.following,
    mediaCount: account.mediaCount,
  };
}

export async function expectPlatformError(promise: Promise<unknown>) {
  const error = await promise.then(
    () => {
      throw new Error('expected a PlatformError, the call succeeded');
    },
    (caught: unknown) => caught,
  );
  if (!isPlatformError(error)) throw error;
  return error;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
