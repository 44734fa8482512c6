import { parseArgs } from 'node:util';

export type BenchPlatform = 'instagram' | 'tiktok' | 'mixed';

export interface BenchArgs {
  accounts: number;
  platform: BenchPlatform;
  latencyMs: number;
  baseline: boolean;
  /** TikTok calls per minute per endpoint, in the simulator and in our budgets (the contract's 600). */
  tiktokQuota: number;
  concurrency: number;
  postgresUrl: string;
  redisUrl: string;
}

export const BENCH_USAGE =
  'usage: npm run bench:sync -- --accounts N --platform instagram|tiktok|mixed --latency-ms L [--baseline] ' +
  '[--tiktok-quota 600] [--concurrency 50] [--postgres-url URL] [--redis-url URL]';

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      accounts: { type: 'string', default: '2000' },
      platform: { type: 'string', default: 'instagram' },
      'latency-ms': { type: 'string', default: '50' },
      baseline: { type: 'boolean', default: false },
      'tiktok-quota': { type: 'string', default: '600' },
      concurrency: { type: 'string', default: '50' },
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
    tiktokQuota: positive(values['tiktok-quota'], 'tiktok-quota'),
    concurrency: positive(values.concurrency, 'concurrency'),
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

/** How many accounts of each platform a run syncs. */
export function accountsPerPlatform(args: BenchArgs): { instagram: number; tiktok: number } {
  if (args.platform === 'instagram') return { instagram: args.accounts, tiktok: 0 };
  if (args.platform === 'tiktok') return { instagram: 0, tiktok: args.accounts };
  const instagram = Math.ceil(args.accounts / 2);
  return { instagram, tiktok: args.accounts - instagram };
}
