import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy, type ScheduleHandle } from '@temporalio/client';
import type { TypedSearchAttributes } from '@temporalio/common';
import pino from 'pino';
import { formatCalendarAsCron } from '../../src/temporal/schedule-cron';
import { ensureSchedules } from '../../src/temporal/schedules';
import {
  SCHEDULE_IDS,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  type RefreshExpiringTokensResult,
} from '../../workflows/contract';
import { insertUser, seedConnectedAccount } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { startDevServerWorker, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { HOUR, startWorkerStack, type WorkerStack } from '../helpers/stack';

jest.setTimeout(180_000);

/** Schedules exist only on the dev server; every id here carries a prefix no other test file uses. */
describe('token-refresh-daily schedule', () => {
  let db: TestDatabase;
  let stack: WorkerStack;
  let temporal: TestTemporal;
  const taskQueue = uniqueTaskQueue('refresh-schedule');
  const idPrefix = `test-${randomUUID().slice(0, 8)}-`;
  const scheduleId = `${idPrefix}${SCHEDULE_IDS.tokenRefresh}`;
  const logger = pino({ level: 'silent' });
  const configWith = (env: Record<string, string>) =>
    ({
      ...stack.config,
      schedules: { ...stack.config.schedules, ...env },
      temporal: { ...stack.config.temporal, taskQueue },
    }) as typeof stack.config;

  beforeAll(async () => {
    db = await createTestDatabase();
    stack = await startWorkerStack({
      db,
      webhook: true,
      env: { SCHEDULE_TIMEZONE: 'Europe/Paris', SCHEDULE_CATCHUP_WINDOW_MINUTES: '90' },
    });
    temporal = await startDevServerWorker({ taskQueue, activities: stack.activities });
  });

  afterAll(async () => {
    for await (const schedule of temporal.client.schedule.list()) {
      if (schedule.scheduleId.startsWith(idPrefix))
        await temporal.client.schedule.getHandle(schedule.scheduleId).delete();
    }
    await temporal?.close();
    await stack?.close();
    await db?.drop();
  });

  let handle: ScheduleHandle;

  it('is created at worker start with cron, time zone, overlap SKIP, catch-up window and TriggeredBy=schedule', async () => {
    const ensured = await ensureSchedules(temporal.client, configWith({}), logger, { idPrefix });
    expect(ensured).toContainEqual({ scheduleId, action: 'created' });
    handle = temporal.client.schedule.getHandle(scheduleId);
    const description = await handle.describe();
    expect(description.spec.calendars?.map(formatCalendarAsCron)).toEqual(['0 2 * * *']);
    expect(description.spec.timezone).toBe('Europe/Paris');
    expect(description.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(description.policies.catchupWindow).toBe(90 * 60_000);
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'refreshExpiringTokensWorkflow',
      taskQueue,
    });
    const attributes = description.action.typedSearchAttributes as TypedSearchAttributes;
    expect(attributes.get(TRIGGERED_BY_SEARCH_ATTRIBUTE)).toBe('schedule');
  });

  it('is updated, not duplicated, by a second start; a changed cron reaches the server', async () => {
    const again = await ensureSchedules(
      temporal.client,
      configWith({ tokenRefreshCron: '30 4 * * *' }),
      logger,
      { idPrefix },
    );
    expect(again).toContainEqual({ scheduleId, action: 'updated' });
    const description = await handle.describe();
    expect(description.spec.calendars?.map(formatCalendarAsCron)).toEqual(['30 4 * * *']);
    // Listing is eventually consistent: wait until the schedule shows, then it must show once.
    const matching = await waitFor(async () => {
      const ids: string[] = [];
      for await (const schedule of temporal.client.schedule.list())
        if (schedule.scheduleId === scheduleId) ids.push(schedule.scheduleId);
      return ids.length > 0 ? ids : null;
    });
    expect(matching).toEqual([scheduleId]);
  });

  it('keeps an operator pause across a restart', async () => {
    await handle.pause('maintenance');
    await ensureSchedules(temporal.client, configWith({}), logger, { idPrefix });
    expect((await handle.describe()).state.paused).toBe(true);
    await handle.unpause();
  });

  it('starts a run on trigger (explicit overlap policy) that completes, tagged TriggeredBy=schedule', async () => {
    const owner = await insertUser(db.orm);
    const account = await seedConnectedAccount(stack, owner, 'tiktok', {
      issuedAt: new Date(Date.now() - 20 * HOUR),
    });
    await handle.trigger(ScheduleOverlapPolicy.SKIP);
    const action = await waitFor(async () => (await handle.describe()).info.recentActions[0] ?? null);
    const run = temporal.client.workflow.getHandle(
      action.action.workflow.workflowId,
      action.action.workflow.firstExecutionRunId,
    );
    const result = (await run.result()) as RefreshExpiringTokensResult;
    expect(result).toMatchObject({ considered: 1, refreshed: 1, failed: 0 });
    const description = await run.describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.typedSearchAttributes.get(TRIGGERED_BY_SEARCH_ATTRIBUTE)).toBe('schedule');
    expect(
      stack.simulator.control.accountStats('tiktok', account.externalId)['tiktok.token.refresh_token']?.ok,
    ).toBe(1);
  });
});

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
