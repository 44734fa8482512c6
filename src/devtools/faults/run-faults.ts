/**
 * `npm run test:faults [-- --only id,id] [--accounts-per-platform N] [--latency-ms L]`
 * The fault suite (docs/operations.md#fault-suite): real processes (Temporal dev server on a file, worker and
 * API processes from src/start-*.ts, a private PostgreSQL and Redis, the simulator), one fault at a time
 * injected into a running fleet sync or API load, then checks of the database and the simulator's request log.
 * Prints `fault | held/FAILED | figures` per scenario and a summary line; exits 1 unless every scenario held.
 * Not part of `npm test`: it takes minutes. Everything it starts is stopped and deleted, also on failure.
 */
import { execFileSync } from 'node:child_process';
import { Cleanup } from './cleanup';
import { startFaultStack } from './fault-stack';
import {
  platformBursts,
  postgresStopped,
  redisStopped,
  temporalKilledAndRestarted,
  undisturbedFleetSync,
  workerKilledThreeTimes,
} from './fleet-scenarios';
import { limitersUnderFleetSync, twoWorkersTwoApis } from './limit-scenarios';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario';

const SCENARIOS: Scenario[] = [
  undisturbedFleetSync,
  workerKilledThreeTimes,
  temporalKilledAndRestarted,
  postgresStopped,
  redisStopped,
  platformBursts,
  limitersUnderFleetSync,
  twoWorkersTwoApis,
];

/** The whole suite's bound: a stuck scenario ends the run instead of hanging it. */
const SUITE_TIMEOUT_MS = 90 * 60_000;

interface Args {
  only: string[] | null;
  accountsPerPlatform: number;
  latencyMs: number;
  tiktokRequestsPerMinute: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { only: null, accountsPerPlatform: 300, latencyMs: 300, tiktokRequestsPerMinute: 3000 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--only':
        args.only = value.split(',').map((id) => id.trim());
        i++;
        break;
      case '--accounts-per-platform':
        args.accountsPerPlatform = positive(value, argv[i]);
        i++;
        break;
      case '--latency-ms':
        args.latencyMs = Number(value);
        i++;
        break;
      case '--tiktok-per-minute':
        args.tiktokRequestsPerMinute = positive(value, argv[i]);
        i++;
        break;
      default:
        throw new Error(
          `unknown argument ${argv[i]}; use --only ${SCENARIOS.map((s) => s.id).join(',')}, ` +
            '--accounts-per-platform N, --latency-ms L, --tiktok-per-minute N',
        );
    }
  }
  const unknown = args.only?.filter((id) => !SCENARIOS.some((scenario) => scenario.id === id)) ?? [];
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}`);
  return args;
}

function positive(value: string | undefined, name: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${name} needs a positive whole number`);
  return parsed;
}

function log(line: string): void {
  process.stderr.write(`[faults] ${line}\n`);
}

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return 'uptime not available';
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const scenarios = args.only ? SCENARIOS.filter((s) => args.only!.includes(s.id)) : SCENARIOS;
  log(`machine: ${uptime()}`);
  log(
    `starting the stack: ${args.accountsPerPlatform} accounts per platform, platform latency ${args.latencyMs} ms`,
  );
  const cleanup = new Cleanup();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping everything the suite started`);
      void cleanup.run().finally(() => process.exit(130));
    });
  }
  const results: ScenarioResult[] = [];
  try {
    const stack = await startFaultStack(
      {
        accountsPerPlatform: args.accountsPerPlatform,
        latencyMs: args.latencyMs,
        tiktokRequestsPerMinute: args.tiktokRequestsPerMinute,
      },
      log,
      cleanup,
    );
    const context: ScenarioContext = { stack, undisturbedMs: null, log };
    for (const scenario of scenarios) {
      log(`scenario ${scenario.id} (${uptime()})`);
      let lines: ScenarioResult[];
      try {
        lines = await scenario.run(context);
      } catch (error) {
        const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
        lines = [
          { fault: scenario.id, held: false, figures: `error: ${message}`, accountsLost: 0, duplicates: 0 },
        ];
        log(`scenario ${scenario.id} failed: ${error instanceof Error ? error.stack : message}`);
      }
      for (const line of lines) {
        results.push(line);
        process.stdout.write(`${line.fault} | ${line.held ? 'held' : 'FAILED'} | ${line.figures}\n`);
      }
    }
  } finally {
    await cleanup.run();
  }
  const held = results.filter((result) => result.held).length;
  const lost = results.reduce((sum, result) => sum + result.accountsLost, 0);
  const duplicates = results.reduce((sum, result) => sum + result.duplicates, 0);
  process.stdout.write(
    `faults: ${held}/${results.length} scenarios held, accounts lost ${lost}, duplicates ${duplicates}\n`,
  );
  log(`machine: ${uptime()}`);
  return held === results.length ? 0 : 1;
}

const watchdog = setTimeout(() => {
  log(`still running after ${SUITE_TIMEOUT_MS / 60_000} min: giving up`);
  process.kill(process.pid, 'SIGTERM');
}, SUITE_TIMEOUT_MS);
watchdog.unref();

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
