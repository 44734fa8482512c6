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
    const drainer = await ensureWebhookDrainer(temporal.client, taskQueue);
    const fleetStarted = Date.now();
    const fleet = await temporal.client.workflow.execute(syncAllAccountsWorkflow, {
      taskQueue,
      workflowId: makeSyncAllAccountsWorkflowId('webhook-fleet'),
      args: [{ minAgeHours: 0, triggeredBy: 'cli' }],
    });
    const fleetMs = Date.now() - fleetStarted;
    expect(fleet).toMatchObject({ succeeded: ACCOUNTS, failed: 0 });

    const synced = () => stack.webhook!.accepted().filter((event) => event.kind === 'account.synced');
    await eventually(async () => synced().length === ACCOUNTS, `${ACCOUNTS} events`, 60_000 + ACCOUNTS * 20);
    const doneMs = Date.now() - fleetStarted;
    const events = synced();
    expect(new Set(events.map((event) => event.data.accountId)).size).toBe(ACCOUNTS);
    expect(await knex('outbox').where({ kind: 'fleet.stale_accounts' })).toEqual([]);

    const runs: { workflowId: string; type: string }[] = [];
    for await (const execution of temporal.client.workflow.list())
      runs.push({ workflowId: execution.workflowId, type: execution.type });
    const ids = [...new Set(runs.map((run) => run.workflowId))].sort();
    expect(ids).toEqual([drainer.workflowId, makeSyncAllAccountsWorkflowId('webhook-fleet')].sort());
    const drainerRuns = runs.filter((run) => run.type === 'deliverWebhookEventsWorkflow').length;
    const arrivals = stack.webhook!.received.filter((request) => request.status < 300).map((r) => r.at);
    const spanS = (Math.max(...arrivals) - Math.min(...arrivals)) / 1000;
    process.stdout.write(
      `[webhook-fleet] ${ACCOUNTS} accounts -> ${events.length} account.synced events delivered; ` +
        `workflows: ${ids.length} (${runs.length} runs: fleet ${runs.length - drainerRuns}, drainer ${drainerRuns}); ` +
        `fleet ${(fleetMs / 1000).toFixed(1)} s, last event ${(doneMs / 1000).toFixed(1)} s after the fleet started, ` +
        `first to last delivery ${spanS.toFixed(1)} s (${(events.length / Math.max(spanS, 0.001)).toFixed(0)} events/s)\n`,
    );
  });
});
