import pino from 'pino';
import { createScheduleAdmin } from '../../src/temporal/schedule-admin';
import { ensureSchedules } from '../../src/temporal/schedules';
import { SCHEDULE_IDS, TRIGGERED_BY_SEARCH_ATTRIBUTE } from '../../workflows/contract';
import type { ConnectedAccount } from '../helpers/accounts';
import { startOpsWorkerStack, type OpsWorkerStack } from '../helpers/in-process-worker';
import { eventually, seedAccounts } from '../helpers/processes';
import { runCommand } from '../helpers/run-command';

jest.setTimeout(180_000);

const PROGRESS_LINE = /^(sync|refresh) progress: (\d+)\/(\d+)(\+?) accounts \| /;

describe('npm run admin -- sync | refresh | schedules (real worker on the dev server)', () => {
  let stack: OpsWorkerStack;
  let accounts: ConnectedAccount[];

  beforeAll(async () => {
    // 120 ms per platform call: a fleet of 20 at concurrency 2 runs for seconds, long enough to be watched.
    stack = await startOpsWorkerStack('admin-cmd', { faults: { all: { latencyMs: 120 } } });
    const deps = { simulator: stack.simulator, orm: stack.db.orm, cipher: stack.cipher, owner: stack.owner };
    accounts = [...(await seedAccounts(deps, 'instagram', 10)), ...(await seedAccounts(deps, 'tiktok', 10))];
  });
  afterAll(() => stack?.close());

  /** Exactly as an operator types it, with only Temporal's settings in the environment (no secrets). */
  function admin(args: string[]) {
    return runCommand('npm', ['run', '--silent', 'admin', '--', ...args], {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      TEMPORAL_ADDRESS: stack.env.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: stack.env.TEMPORAL_NAMESPACE,
      TEMPORAL_TASK_QUEUE: stack.env.TEMPORAL_TASK_QUEUE,
    });
  }

  function progressLines(stderr: string, label: string) {
    return stderr
      .split('\n')
      .map((line) => PROGRESS_LINE.exec(line))
      .filter((match): match is RegExpExecArray => match !== null && match[1] === label)
      .map((match) => ({ done: Number(match[2]), total: Number(match[3]), totalKnown: match[4] === '' }));
  }

  it('sync --follow starts the fleet run, prints plain progress lines off a terminal, then the summary', async () => {
    const result = await admin([
      'sync',
      '--follow',
      '--every',
      '0.2',
      '--min-age-hours',
      '0',
      '--concurrency',
      '2',
    ]);
    expect(result.stderr).toContain('Fleet sync started: workflow sync-all-accounts-on-demand');
    expect(result.code).toBe(0);
    const lines = progressLines(result.stderr, 'sync');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    // Progress only moves forward, and the last line is the finished run.
    for (let i = 1; i < lines.length; i++) expect(lines[i].done).toBeGreaterThanOrEqual(lines[i - 1].done);
    expect(lines.some((line) => line.done < 20)).toBe(true);
    expect(lines.at(-1)).toEqual({ done: 20, total: 20, totalKnown: true });
    // No bar, no carriage returns or cursor codes in a log.
    expect(result.stderr).not.toContain('\x1b[');
    expect(result.stderr).not.toContain('\r');
    expect(result.stdout).toMatch(
      /^Fleet sync sync-all-accounts-on-demand completed in \d+\.\d s \(1 run\)$/m,
    );
    expect(result.stdout).toContain('20 found, 20 done: 20 synced, 0 skipped, 0 reauth required, 0 failed');

    const synced = await stack.db.orm.em
      .fork()
      .getConnection()
      .execute<{ count: string }[]>('select count(*) from social_accounts where last_synced_at is not null');
    expect(Number(synced[0].count)).toBe(accounts.length);
    const description = await stack.client.workflow.getHandle('sync-all-accounts-on-demand').describe();
    expect(description.typedSearchAttributes.get(TRIGGERED_BY_SEARCH_ATTRIBUTE)).toBe('cli');
  });

  it('refresh --follow --json refreshes the tokens due in the window and prints the result as JSON', async () => {
    const result = await admin(['refresh', '--follow', '--every', '0.2', '--window-days', '7', '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Token refresh started: workflow refresh-expiring-tokens-on-demand');
    expect(progressLines(result.stderr, 'refresh').at(-1)).toEqual({ done: 10, total: 10, totalKnown: true });
    // TikTok access tokens live 24 h (due within 7 days); Instagram's 60-day tokens are not due.
    expect(JSON.parse(result.stdout)).toMatchObject({
      considered: 10,
      refreshed: 10,
      failed: 0,
      windowDays: 7,
      runs: 1,
    });
  });

  it('schedules lists cron, time zone, paused state, next runs and recent runs with their status', async () => {
    await ensureSchedules(stack.client, stack.config, pino({ level: 'silent' }));
    const schedules = createScheduleAdmin({ client: stack.client });
    await schedules.trigger(SCHEDULE_IDS.dataSync);
    await eventually(
      async () => (await schedules.view(SCHEDULE_IDS.dataSync)).recentRuns[0]?.status === 'COMPLETED',
      'the triggered run',
    );
    await stack.client.schedule.getHandle(SCHEDULE_IDS.tokenRefresh).pause('paused for the admin test');

    const result = await admin(['schedules']);
    expect(result.code).toBe(0);
    const [refresh, sync] = result.stdout.split('\n\n');
    expect(refresh).toContain('token-refresh-daily  (refreshExpiringTokensWorkflow)');
    expect(refresh).toMatch(/cron {7}0 2 \* \* \* {2}in UTC/);
    expect(refresh).toContain('paused     yes  (note: paused for the admin test)');
    expect(refresh).toContain('recent     none yet');
    expect(sync).toContain('data-sync-daily  (syncAllAccountsWorkflow)');
    expect(sync).toMatch(/cron {7}0 3 \* \* \* {2}in UTC/);
    expect(sync).toContain('paused     no');
    expect(sync).toMatch(/next runs {2}\d{4}-\d\d-\d\dT03:00:00\.000Z/);
    expect(sync).toMatch(/recent {5}\S+ {2}COMPLETED {2}sync-all-accounts-\d{4}-/);

    const json = JSON.parse((await admin(['schedules', '--json'])).stdout);
    expect(json.schedules.map((schedule: { id: string }) => schedule.id)).toEqual([
      'token-refresh-daily',
      'data-sync-daily',
    ]);
    expect(json.missing).toEqual([]);
  });

  it('refuses bad options with the usage and exit code 1', async () => {
    const result = await admin(['sync', '--platform', 'myspace']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--platform must be instagram or tiktok');
    expect(result.stderr).toContain('Usage: npm run admin -- sync');
    const unknown = await admin(['sync', '--min-age', '3']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("Unknown option '--min-age'");
  });
});
