/**
 * `npm run bench:sync -- --accounts N --platform instagram|tiktok|mixed --latency-ms L [--baseline | --compare]`
 * Seeds the simulator and a fresh database, runs one fleet sync end to end on the real stack (dev server +
 * worker process + PostgreSQL + Redis), or with --baseline the same per-account work in one plain Node
 * process, or with --compare both one after the other, and prints the figures (bench-report.ts), with
 * --compare also the durable/baseline ratios of time and peak RSS. A script, not a test: nothing here
 * asserts speed.
 */
import 'reflect-metadata';
import path from 'node:path';
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { loadConfig } from '../../config';
import { createTokenCipher } from '../../crypto/token-cipher';
import { ensureDatabaseExists } from '../../db/ensure-database';
import { migrateToLatest, openOrm } from '../../db/orm';
import { createSimulator, type Simulator } from '../simulator';
import { startDevServer } from '../dev/temporal-dev-server';
import { PROJECT_ROOT, readToolchain } from '../tooling/toolchain';
import { accountsPerPlatform, parseBenchArgs, type BenchArgs } from './bench-args';
import { runDurable } from './bench-durable';
import { benchEnvironment } from './bench-env';
import { formatComparison, formatReport, type RunFigures } from './bench-report';
import { seedBenchAccounts } from './bench-seed';
import { dropDatabase, deleteRedisKeys, withDatabase } from './bench-stack';
import {
  captureTail,
  cpuProfileFlags,
  heapProfileFlags,
  processCpuMs,
  spawnTypeScript,
} from './child-process';

type Mode = 'durable' | 'baseline';

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const modes: Mode[] = args.compare ? ['durable', 'baseline'] : [args.baseline ? 'baseline' : 'durable'];
  const runs: (RunFigures & { report: string })[] = [];
  for (const mode of modes) {
    runs.push(await runOnce(args, mode));
    // Each report as soon as its run ends: a long comparison shows its first half early.
    process.stdout.write(`${runs.at(-1)!.report}\n`);
  }
  if (args.compare) process.stdout.write(`${formatComparison(runs[0], runs[1])}\n`);
}

/** One run on a stack of its own (simulator, database, Redis keys, Temporal), removed afterwards. */
async function runOnce(args: BenchArgs, mode: Mode): Promise<RunFigures & { report: string }> {
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const runDir = path.join(PROJECT_ROOT, '.data', 'bench', runId);
  fs.mkdirSync(runDir, { recursive: true });
  // --short-pages: every page with more behind it is 2 short (TikTok 18 of 20, Instagram 23 of 25).
  const shortfall = args.shortPages ? 2 : 0;
  const simulator = createSimulator({
    accountsPerPlatform: 0,
    quotas: { tiktok: { requestsPerWindow: args.tiktokQuota, windowMs: 60_000 } },
    faults: { all: { latencyMs: args.latencyMs } },
    tiktok: { shortPageShortfall: shortfall },
    instagram: { shortPageShortfall: shortfall },
  });
  await simulator.start();
  const databaseUrl = withDatabase(args.postgresUrl, `socialsync_bench_${runId}`);
  const keyPrefix = `socialsync-bench:${runId}:`;
  const devServer =
    mode === 'baseline'
      ? null
      : await startDevServer({
          executable: readToolchain().temporalCli.path,
          dbFile: path.join(runDir, 'temporal.db'),
        });
  const taskQueue = `bench-${runId}`;
  const env = benchEnvironment(args, {
    simulator,
    databaseUrl,
    keyPrefix,
    temporalAddress: devServer?.address ?? '127.0.0.1:7233',
    taskQueue,
  });
  const nodeArgs = [
    ...cpuProfileFlags(args.cpuProfileDir && path.join(args.cpuProfileDir, mode)),
    ...heapProfileFlags(args.heapProfileDir && path.join(args.heapProfileDir, mode)),
  ];
  try {
    await prepareDatabase(databaseUrl, env, simulator, args);
    const disturbed = disturbAccounts(simulator, args);
    log(
      `seeded ${args.accounts} accounts (${disturbed} with 429 bursts); running ${mode === 'baseline' ? 'the baseline' : 'the durable fleet sync'}...`,
    );
    const figures =
      mode === 'baseline'
        ? await runBaseline(env, nodeArgs)
        : await runDurableFigures(devServer!.address, env, taskQueue, args.maxWallSeconds, nodeArgs);
    figures.budgetCharged = await budgetCharged(args.redisUrl, keyPrefix);
    // Durability's cost lands in the server too: its CPU over the run, start-up included.
    if (devServer?.pid) figures.temporalCpuMs = processCpuMs(devServer.pid);
    figures.disturbedAccounts = disturbed;
    return { ...figures, report: formatReport(args, simulator, figures) };
  } finally {
    await simulator.stop();
    await devServer?.stop();
    await dropDatabase(args.postgresUrl, databaseUrl);
    await deleteRedisKeys(args.redisUrl, keyPrefix);
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

async function prepareDatabase(
  databaseUrl: string,
  env: Record<string, string>,
  simulator: Simulator,
  args: BenchArgs,
): Promise<void> {
  await ensureDatabaseExists(databaseUrl);
  const orm = await openOrm({ databaseUrl, poolMax: 4 });
  try {
    await migrateToLatest(orm);
    const cipher = createTokenCipher(loadConfig(env).encryption);
    await seedBenchAccounts(orm.em.getKnex(), cipher, simulator, accountsPerPlatform(args));
  } finally {
    await orm.close();
  }
}

/**
 * --rate-limited-share: evenly spread accounts (every 20th at 0.05) whose next media calls answer 429
 * (--rate-limited-burst in a row; Retry-After only with --retry-after-s). Returns how many.
 */
function disturbAccounts(simulator: Simulator, args: BenchArgs): number {
  if (args.rateLimitedShare <= 0) return 0;
  const counts = accountsPerPlatform(args);
  let disturbed = 0;
  for (const platform of ['instagram', 'tiktok'] as const) {
    const accounts = simulator.control.listAccounts(platform, { limit: counts[platform] });
    accounts.forEach((account, i) => {
      if (Math.floor((i + 1) * args.rateLimitedShare) === Math.floor(i * args.rateLimitedShare)) return;
      simulator.control.failNextCalls(platform, account.externalId, args.rateLimitedBurst, {
        failure: 'rate_limited',
        endpoints: [platform === 'tiktok' ? 'tiktok.video_list' : 'instagram.media'],
        retryAfterSeconds: args.retryAfterSeconds ?? undefined,
      });
      disturbed++;
    });
  }
  return disturbed;
}

/** Calls the budgets hold right now per endpoint: what the run charged, for a run shorter than the window. */
async function budgetCharged(redisUrl: string, prefix: string): Promise<Record<string, number>> {
  const redis = new Redis(redisUrl);
  try {
    const charged: Record<string, number> = {};
    const keys = await redis.keys(`${prefix}pacing:*`);
    for (const key of keys.sort()) {
      if ((await redis.type(key)) === 'zset') charged[key.slice(prefix.length)] = await redis.zcard(key);
    }
    return charged;
  } finally {
    redis.disconnect();
  }
}

async function runDurableFigures(
  address: string,
  env: Record<string, string>,
  taskQueue: string,
  maxWallSeconds: number | null,
  nodeArgs: string[],
): Promise<RunFigures> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    const outcome = await runDurable(
      client,
      env,
      taskQueue,
      maxWallSeconds === null ? null : maxWallSeconds * 1000,
      nodeArgs,
    );
    return {
      timedOutAfterDone: outcome.timedOut ? outcome.timedOut.done : undefined,
      mode: 'durable (Temporal)',
      wallMs: outcome.wallMs,
      succeeded: outcome.summary.succeeded,
      failed: outcome.summary.failed,
      skipped: outcome.summary.skipped,
      reauthRequired: outcome.summary.reauthRequired,
      peakRssMb: outcome.peakRssMb,
      cpuMs: outcome.cpuMs,
      workflowRuns: outcome.workflowRuns,
      historyEvents: outcome.historyEvents,
    };
  } finally {
    await connection.close();
  }
}

async function runBaseline(env: Record<string, string>, nodeArgs: string[]): Promise<RunFigures> {
  const child = spawnTypeScript('src/devtools/bench/baseline-runner.ts', env, nodeArgs);
  const tail = captureTail(child);
  const line = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /BENCH_RESULT (.+)\n/.exec(buffered);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`baseline exited (${code}) without a result:\n${tail()}`)));
  });
  const result = JSON.parse(line) as {
    succeeded: number;
    failed: number;
    skipped: number;
    reauthRequired: number;
    durationMs: number;
    peakRssMb: number;
    cpuMs: number;
  };
  return { mode: 'baseline (plain Node, no Temporal)', wallMs: result.durationMs, ...result };
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
