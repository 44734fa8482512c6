import { seedBenchAccounts } from '../../src/devtools/bench/bench-seed';
import { ensureWebhookDrainer } from '../../src/temporal/webhook-drainer';
import { makeSyncAllAccountsWorkflowId } from '../../workflows/contract';
import { syncAllAccountsWorkflow } from '../../workflows';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { createOpsNamespace, eventually } from '../helpers/processes';
import { startWorkerStack, type WorkerStack } from '../helpers/stack';
import { startDevServerWorker, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

/**
 * A fleet sync's data events with a bounded number of workflows: N Instagram accounts synced by one fleet
 * run, N account.synced events delivered by the one drainer. `npm test` runs 500 accounts;
 * `npm run test:webhooks-fleet` runs 10,000 (WEBHOOK_FLEET_ACCOUNTS). The figures are printed, not asserted.
 */
const ACCOUNTS = Number(process.env.WEBHOOK_FLEET_ACCOUNTS ?? 500);

jest.setTimeout(120_000 + ACCOUNTS * 60);

describe(`a fleet of ${ACCOUNTS} accounts: ${ACCOUNTS} events, two workflows (Temporal dev server, PostgreSQL)`, () => {
  let namespace: string;
  let db: TestDatabase;
  let stack: WorkerStack;
  let temporal: TestTemporal;
  const taskQueue = uniqueTaskQueue('fleet-events');

  beforeAll(async () => {
    // A namespace of its own: every workflow listed in it is this test's.
    [namespace, db] = await Promise.all([createOpsNamespace('fleet-events'), createTestDatabase()]);
    stack = await startWorkerStack({ db, webhook: true });
    temporal = await startDevServerWorker({ namespace, taskQueue, activities: stack.activities });
  });
  afterAll(async () => {
    await temporal?.close();
    await stack?.close();
    await db?.drop();
  });

  it('delivers one account.synced per account through one drainer', async () => {
    const knex = db.orm.em.getKnex();
    await seedBenchAccounts(knex, stack.cipher, stack.simulator, { instagram: ACCOUNTS, tiktok: 0 });
    // The fleet first, the drainer after: the drain of the whole backlog is then timed on its own.
    const fleetStarted = Date.now();
    const fleet = await temporal.client.workflow.execute(syncAllAccountsWorkflow, {
      taskQueue,
      workflowId: makeSyncAllAccountsWorkflowId('webhook-fleet'),
      args: [{ minAgeHours: 0, triggeredBy: 'cli' }],
    });
    const fleetMs = Date.now() - fleetStarted;
    expect(fleet).toMatchObject({ succeeded: ACCOUNTS, failed: 0 });
    expect(await knex('outbox').where({ kind: 'account.synced', status: 'pending' })).toHaveLength(ACCOUNTS);

    const drainStarted = Date.now();
    const drainer = await ensureWebhookDrainer(temporal.client, taskQueue);
    const synced = () => stack.webhook!.accepted().filter((event) => event.kind === 'account.synced');
    await eventually(async () => synced().length === ACCOUNTS, `${ACCOUNTS} events`, 60_000 + ACCOUNTS * 20);
    const drainMs = Date.now() - drainStarted;
    const events = synced();
    expect(new Set(events.map((event) => event.data.accountId)).size).toBe(ACCOUNTS);
    expect(await knex('outbox').where({ kind: 'fleet.stale_accounts' })).toEqual([]);

    const runs: { workflowId: string; type: string }[] = [];
    for await (const execution of temporal.client.workflow.list())
      runs.push({ workflowId: execution.workflowId, type: execution.type });
    const ids = [...new Set(runs.map((run) => run.workflowId))].sort();
    expect(ids).toEqual([drainer.workflowId, makeSyncAllAccountsWorkflowId('webhook-fleet')].sort());
    const drainerRuns = runs.filter((run) => run.type === 'deliverWebhookEventsWorkflow').length;
    process.stdout.write(
      `[webhook-fleet] ${ACCOUNTS} accounts -> ${events.length} account.synced events delivered; ` +
        `workflows: ${ids.length} (${runs.length} runs: fleet ${runs.length - drainerRuns}, drainer ${drainerRuns}); ` +
        `fleet sync ${(fleetMs / 1000).toFixed(1)} s; drain of the ${ACCOUNTS}-event backlog ` +
        `${(drainMs / 1000).toFixed(1)} s (${((events.length * 1000) / drainMs).toFixed(0)} events/s, ` +
        `WEBHOOK_CONCURRENCY ${stack.config.webhooks.concurrency})\n`,
    );
  });
});
