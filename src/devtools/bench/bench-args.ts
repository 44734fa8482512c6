import path from 'node:path';
import { parseArgs } from 'node:util';

export type BenchPlatform = 'instagram' | 'tiktok' | 'mixed';

export interface BenchArgs {
  accounts: number;
  platform: BenchPlatform;
  latencyMs: number;
  baseline: boolean;
  /** Durable, then baseline, in one invocation; prints both and their time and RSS ratios. */
  compare: boolean;
  /** V8 CPU profile (node --cpu-prof) / sampling heap profile (--heap-prof) of the process under test. */
  cpuProfileDir: string | null;
  heapProfileDir: string | null;
  /** TikTok calls per minute per endpoint, in the simulator and in our budgets (the contract's 600). */
  tiktokQuota: number;
  concurrency: number;
  /** Pages shorter than asked while more stay behind them (TikTok 18 of 20, Instagram 23 of 25). */
  shortPages: boolean;
  /** Share of accounts (0-1) whose media calls answer a burst of 429s. */
  rateLimitedShare: number;
  /** 429s in a row per disturbed account. */
  rateLimitedBurst: number;
  /** Retry-After sent with those 429s, in seconds; null: none (TikTok documents none). */
  retryAfterSeconds: number | null;
  /** Stop waiting for the fleet after this long and report how far it got; null: wait for it. */
  maxWallSeconds: number | null;
  postgresUrl: string;
  redisUrl: string;
}

export const BENCH_USAGE =
  'usage: npm run bench:sync -- --accounts N --platform instagram|tiktok|mixed --latency-ms L [--baseline | --compare] ' +
  '[--tiktok-quota 600] [--concurrency 50] [--short-pages] [--rate-limited-share 0.05] ' +
  '[--rate-limited-burst 3] [--retry-after-s S] [--max-wall-s S] [--cpu-prof DIR] [--heap-prof DIR] ' +
  '[--postgres-url URL] [--redis-url URL]';

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      accounts: { type: 'string', default: '2000' },
      platform: { type: 'string', default: 'instagram' },
      'latency-ms': { type: 'string', default: '50' },
      baseline: { type: 'boolean', default: false },
      compare: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'heap-prof': { type: 'string' },
      'tiktok-quota': { type: 'string', default: '600' },
      concurrency: { type: 'string', default: '50' },
      'short-pages': { type: 'boolean', default: false },
      'rate-limited-share': { type: 'string', default: '0' },
      'rate-limited-burst': { type: 'string', default: '3' },
      'retry-after-s': { type: 'string' },
      'max-wall-s': { type: 'string' },
      'postgres-url': { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432/postgres' },
      'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    },
  });
  const platform = values.platform as BenchPlatform;
  if (!['instagram', 'tiktok', 'mixed'].includes(platform))
    throw new Error(`--platform ${platform}?\n${BENCH_USAGE}`);
  return {
    accounts: positive(values.accounts, 'accounts'),
    platform,
    latencyMs: Math.max(0, Number(values['latency-ms'])),
    baseline: values.baseline ?? false,
    compare: values.compare ?? false,
    cpuProfileDir: values['cpu-prof'] ? path.resolve(values['cpu-prof']) : null,
    heapProfileDir: values['heap-prof'] ? path.resolve(values['heap-prof']) : null,
    tiktokQuota: positive(values['tiktok-quota'], 'tiktok-quota'),
    concurrency: positive(values.concurrency, 'concurrency'),
    shortPages: values['short-pages'] ?? false,
    rateLimitedShare: share(values['rate-limited-share'], 'rate-limited-share'),
    rateLimitedBurst: positive(values['rate-limited-burst'], 'rate-limited-burst'),
    retryAfterSeconds:
      values['retry-after-s'] === undefined ? null : positive(values['retry-after-s'], 'retry-after-s'),
    maxWallSeconds: values['max-wall-s'] === undefined ? null : positive(values['max-wall-s'], 'max-wall-s'),
    postgresUrl: values['postgres-url']!,
    redisUrl: values['redis-url']!,
  };
}

function positive(value: string | undefined, name: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new Error(`--${name} must be a positive integer\n${BENCH_USAGE}`);
  return parsed;
}

function share(value: string | undefined, name: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1)
    throw new Error(`--${name} must be a number from 0 to 1\n${BENCH_USAGE}`);
  return parsed;
}

/** How many accounts of each platform a run syncs. */
export function accountsPerPlatform(args: BenchArgs): { instagram: number; tiktok: number } {
  if (args.platform === 'instagram') return { instagram: args.accounts, tiktok: 0 };
  if (args.platform === 'tiktok') return { instagram: 0, tiktok: args.accounts };
  const instagram = Math.ceil(args.accounts / 2);
  return { instagram, tiktok: args.accounts - instagram };
}
