import pino from 'pino';
import { ensureSchedules } from '../../src/temporal/schedules';
import { SCHEDULE_IDS, makeSyncAccountWorkflowId } from '../../workflows/contract';
import type { ConnectedAccount } from '../helpers/accounts';
import { startOpsWorkerStack, type OpsWorkerStack } from '../helpers/in-process-worker';
import { eventually, seedAccounts, temporalCli } from '../helpers/processes';

jest.setTimeout(180_000);

/**
 * The README "Operations" runbook, run with the real `temporal` binary against the dev server, with a real
 * worker (in this process) so every run it starts completes.
 */
describe('temporal CLI runbook (real binary, dev server, real worker)', () => {
  const idPrefix = 'cli-test-';
  const scheduleId = `${idPrefix}${SCHEDULE_IDS.dataSync}`;
  let stack: OpsWorkerStack;
  let instagram: ConnectedAccount[];
  let tiktok: ConnectedAccount[];
  const cli = (...args: string[]) => temporalCli(args, stack.namespace);
  const cliJson = async <T>(...args: string[]): Promise<T> =>
    JSON.parse(await cli(...args, '-o', 'json')) as T;

  beforeAll(async () => {
    stack = await startOpsWorkerStack('temporal-cli');
    const deps = { simulator: stack.simulator, orm: stack.db.orm, cipher: stack.cipher, owner: stack.owner };
    instagram = await seedAccounts(deps, 'instagram', 2);
    tiktok = await seedAccounts(deps, 'tiktok', 3);
    // The id prefix keeps these schedules apart from any other on the server (the namespace does too).
    await ensureSchedules(stack.client, stack.config, pino({ level: 'silent' }), { idPrefix });
  });
  afterAll(() => stack?.close());

  async function recentScheduledRuns() {
    const description = await stack.client.schedule.getHandle(scheduleId).describe();
    return description.info.recentActions.map((action) => ({
      scheduledAt: action.scheduledAt.toISOString(),
      workflowId: action.action.workflow.workflowId,
      runId: action.action.workflow.firstExecutionRunId,
    }));
  }

  it('schedule trigger starts a fleet run that completes; toggle pauses and unpauses; backfill replays a missed night', async () => {
    await cli('schedule', 'trigger', '--schedule-id', scheduleId, '--overlap-policy', 'Skip');
    const [triggered] = await eventually(async () => {
      const runs = await recentScheduledRuns();
      return runs.length > 0 && runs;
    }, 'the triggered run');
    expect(triggered.workflowId).toMatch(new RegExp(`^${idPrefix}sync-all-accounts-`));
    const result = await stack.client.workflow.getHandle(triggered.workflowId, triggered.runId).result();
    expect(result).toMatchObject({ found: 5, succeeded: 5, failed: 0 });

    await cli(
      ...`schedule toggle --schedule-id ${scheduleId} --pause`.split(' '),
      '--reason',
      'platform maintenance',
    );
    let state = (await stack.client.schedule.getHandle(scheduleId).describe()).state;
    expect(state).toMatchObject({ paused: true, note: 'platform maintenance' });
    await cli('schedule', 'toggle', '--schedule-id', scheduleId, '--unpause', '--reason', 'maintenance over');
    state = (await stack.client.schedule.getHandle(scheduleId).describe()).state;
    expect(state.paused).toBe(false);

    expect(await cli('schedule', 'list')).toContain(scheduleId);
    expect(await cli('schedule', 'describe', '--schedule-id', scheduleId)).toContain(
      'syncAllAccountsWorkflow',
    );

    // Yesterday's 03:00 UTC run, as if the server had been down: one run for the one missed cron time.
    const missed = new Date(Date.now() - 86_400_000);
    missed.setUTCHours(3, 0, 0, 0);
    const window = (minutes: number) => new Date(missed.getTime() + minutes * 60_000).toISOString();
    const backfill = `schedule backfill --schedule-id ${scheduleId} --start-time ${window(-30)} --end-time ${window(30)}`;
    await cli(...backfill.split(' '), '--overlap-policy', 'AllowAll');
    const backfilled = await eventually(
      async () => (await recentScheduledRuns()).find((run) => run.scheduledAt === missed.toISOString()),
      'the backfilled run',
    );
    // Everything was synced minutes ago (SYNC_MIN_AGE_HOURS 12): the replayed night finds nothing due.
    expect(
      await stack.client.workflow.getHandle(backfilled.workflowId, backfilled.runId).result(),
    ).toMatchObject({ found: 0 });
  });

  it('workflow start with plain JSON input, list by Platform, AccountId and TriggeredBy, describe, show, query', async () => {
    const account = tiktok[0].account;
    const accountWorkflowId = makeSyncAccountWorkflowId(account.id);
    // No --search-attribute flags: the workflow tags itself from its input and the account's platform.
    const startAccountSync = `workflow start --type syncAccountWorkflow --task-queue ${stack.taskQueue} --workflow-id ${accountWorkflowId} --id-conflict-policy UseExisting`;
    await cli(
      ...startAccountSync.split(' '),
      '--input',
      JSON.stringify({ accountId: account.id, triggeredBy: 'cli' }),
    );
    const fleetWorkflowId = `sync-all-accounts-cli-${Date.now()}`;
    stack.simulator.control.failNextCalls('tiktok', tiktok[2].externalId, 50, { failure: 'transient' });
    const startFleet = `workflow start --type syncAllAccountsWorkflow --task-queue ${stack.taskQueue} --workflow-id ${fleetWorkflowId}`;
    await cli(
      ...startFleet.split(' '),
      '--input',
      JSON.stringify({ triggeredBy: 'cli', minAgeHours: 0, platform: 'tiktok' }),
    );

    expect(await stack.client.workflow.getHandle(accountWorkflowId).result()).toMatchObject({
      outcome: 'synced',
      platform: 'tiktok',
    });
    // A fleet run's per-account outcomes live in its result (and its progress query), not in failed workflows.
    const fleetResult = await cliJson<unknown>('workflow', 'result', '--workflow-id', fleetWorkflowId);
    expect(fleetResult).toMatchObject({
      status: 'COMPLETED',
      result: {
        found: 3,
        succeeded: 2,
        failed: 1,
        failures: [{ accountId: tiktok[2].account.id, errorCode: expect.any(String) }],
      },
    });

    expect(await listed("Platform='tiktok'", 2)).toEqual([accountWorkflowId, fleetWorkflowId].sort());
    expect(await listed(`AccountId='${account.id}'`, 1)).toEqual([accountWorkflowId]);
    expect(await listed("TriggeredBy='cli' AND WorkflowType='syncAllAccountsWorkflow'", 1)).toEqual([
      fleetWorkflowId,
    ]);
    // The triggered and the backfilled nights.
    const scheduled = await listed("TriggeredBy='schedule'", 2);
    expect(scheduled).toHaveLength(2);
    for (const id of scheduled) expect(id).toMatch(/^cli-test-sync-all-accounts-/);

    // The README's Web UI filters parse and select what they say.
    const people = await listed("TriggeredBy IN ('api', 'admin', 'cli')", 2);
    expect(people).toEqual(expect.arrayContaining([accountWorkflowId, fleetWorkflowId]));
    const running = await cliJson<unknown[]>(
      'workflow',
      'list',
      '--query',
      "WorkflowType IN ('syncAllAccountsWorkflow', 'refreshExpiringTokensWorkflow') AND ExecutionStatus = 'Running'",
    );
    expect(running).toEqual([]);

    const description = await cliJson<{ workflowExecutionInfo: { status: string } }>(
      'workflow',
      'describe',
      '--workflow-id',
      accountWorkflowId,
    );
    expect(description.workflowExecutionInfo.status).toBe('WORKFLOW_EXECUTION_STATUS_COMPLETED');
    const history = await cliJson<{ events: { eventType: string }[] }>(
      'workflow',
      'show',
      '--workflow-id',
      accountWorkflowId,
    );
    expect(history.events.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    const storedToken = await storedAccessToken(account.id);
    expect(decodePayloads(history)).not.toContain(storedToken);

    const progress = await cli('workflow', 'query', '--workflow-id', fleetWorkflowId, '--name', 'progress');
    expect(progress).toMatch(/"done":\s*3/);
  });

  it('the Web UI query for failed TikTok syncs of the last day finds exactly the failed account sync', async () => {
    const failing = tiktok[2].account;
    const workflowId = makeSyncAccountWorkflowId(failing.id);
    // As the API starts it: Platform is known before the first attempt. (Started with only JSON input, a sync
    // whose every attempt fails never learns its platform: the runbook passes --search-attribute for that.)
    const start = `workflow start --type syncAccountWorkflow --task-queue ${stack.taskQueue} --workflow-id ${workflowId}`;
    await cli(
      ...start.split(' '),
      '--input',
      JSON.stringify({ accountId: failing.id, triggeredBy: 'cli' }),
      '--search-attribute',
      'Platform="tiktok"',
      '--search-attribute',
      `AccountId="${failing.id}"`,
    );
    await expect(stack.client.workflow.getHandle(workflowId).result()).rejects.toThrow();
    const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
    const query =
      `WorkflowType = 'syncAccountWorkflow' AND Platform = 'tiktok' AND ExecutionStatus = 'Failed' ` +
      `AND StartTime > '${dayAgo}'`;
    const failed = await listed(query, 1);
    expect(failed).toEqual([workflowId]);
    expect(instagram).toHaveLength(2); // Instagram accounts exist and are never listed by the TikTok filter
  });

  /** Workflow ids `temporal workflow list --query` returns, once visibility shows `count` of them (or the deadline passed). */
  async function listed(query: string, count: number): Promise<string[]> {
    let ids: string[] = [];
    await eventually(
      async () => {
        const runs = await cliJson<{ execution: { workflowId: string } }[]>(
          'workflow',
          'list',
          '--query',
          query,
        );
        ids = runs.map((run) => run.execution.workflowId).sort();
        return ids.length >= count;
      },
      `workflows matching ${query}`,
      30_000,
    ).catch(() => undefined);
    return ids;
  }

  async function storedAccessToken(accountId: string): Promise<string> {
    const [row] = await stack.db.orm.em
      .fork()
      .getConnection()
      .execute<{ access_token_enc: string }[]>('select access_token_enc from social_accounts where id = ?', [
        accountId,
      ]);
    return stack.cipher.decrypt(row.access_token_enc);
  }
});

/** The CLI's JSON shows payloads base64-encoded: decode every `data` field so their content can be searched. */
function decodePayloads(value: unknown): string {
  const parts: string[] = [];
  const walk = (node: unknown, key?: string) => {
    if (typeof node === 'string')
      parts.push(key === 'data' ? Buffer.from(node, 'base64').toString('utf8') : node);
    else if (Array.isArray(node)) node.forEach((item) => walk(item));
    else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, k);
  };
  walk(value);
  return parts.join('\n');
}
