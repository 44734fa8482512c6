import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Config } from '../config';
import {
  makeRefreshExpiringTokensWorkflowId,
  makeSyncAllAccountsWorkflowId,
  SCHEDULE_IDS,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
} from '../../workflows/contract';
import { refreshExpiringTokensWorkflow, syncAllAccountsWorkflow } from '../../workflows';

/**
 * The Temporal Schedules socialsync owns, created or updated (never duplicated) every time a worker starts,
 * so a changed cron or timezone in configuration reaches the server on the next deploy.
 */
export interface ScheduleDefinition<W extends Workflow = Workflow> {
  scheduleId: string;
  description: string;
  cron: string;
  /** The workflow each run starts, by reference: its one input is type-checked against it. */
  workflow: W;
  input: Parameters<W>[0];
  /** Temporal appends the scheduled time to it for each run. */
  workflowId: string;
}

export type ScheduleDefinitionFactory = (config: Config) => ScheduleDefinition;

export function tokenRefreshSchedule(
  config: Config,
): ScheduleDefinition<typeof refreshExpiringTokensWorkflow> {
  return {
    scheduleId: SCHEDULE_IDS.tokenRefresh,
    description: 'Refresh tokens expiring within REFRESH_WINDOW_DAYS (refreshExpiringTokensWorkflow)',
    cron: config.schedules.tokenRefreshCron,
    workflow: refreshExpiringTokensWorkflow,
    workflowId: makeRefreshExpiringTokensWorkflowId(),
    // Window, concurrency and spacing are read from the worker's configuration at run time, not frozen here.
    input: { triggeredBy: 'schedule' },
  };
}

/** DATA_SYNC_CRON (03:00, an hour after the token refresh, so the night's syncs run on fresh tokens). */
export function dataSyncSchedule(config: Config): ScheduleDefinition<typeof syncAllAccountsWorkflow> {
  return {
    scheduleId: SCHEDULE_IDS.dataSync,
    description: 'Sync every active account not synced for SYNC_MIN_AGE_HOURS (syncAllAccountsWorkflow)',
    cron: config.schedules.dataSyncCron,
    workflow: syncAllAccountsWorkflow,
    workflowId: makeSyncAllAccountsWorkflowId(),
    // Minimum age, concurrency and budgets are read from the worker's configuration at run time.
    input: { triggeredBy: 'schedule' },
  };
}

/** One line per schedule. */
export const SCHEDULE_DEFINITIONS: readonly ScheduleDefinitionFactory[] = [
  tokenRefreshSchedule,
  dataSyncSchedule,
];

export interface EnsureSchedulesOptions {
  /** Prefixes schedule and workflow ids (tests on a shared dev server); production uses none. */
  idPrefix?: string;
  definitions?: readonly ScheduleDefinitionFactory[];
}

export interface EnsuredSchedule {
  scheduleId: string;
  action: 'created' | 'updated';
}

export async function ensureSchedules(
  client: Client,
  config: Config,
  logger: Logger,
  options: EnsureSchedulesOptions = {},
): Promise<EnsuredSchedule[]> {
  const ensured: EnsuredSchedule[] = [];
  for (const factory of options.definitions ?? SCHEDULE_DEFINITIONS) {
    const schedule = toScheduleOptions(factory(config), config, options.idPrefix ?? '');
    ensured.push({ scheduleId: schedule.scheduleId, action: await createOrUpdate(client, schedule) });
    logger.info(
      {
        scheduleId: schedule.scheduleId,
        action: ensured.at(-1)!.action,
        cron: schedule.spec.cronExpressions,
        timezone: schedule.spec.timezone,
      },
      'schedule ensured',
    );
  }
  return ensured;
}

async function createOrUpdate(
  client: Client,
  schedule: ScheduleOptions<ScheduleOptionsStartWorkflowAction<Workflow>>,
): Promise<EnsuredSchedule['action']> {
  try {
    await client.schedule.create(schedule);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const { scheduleId, memo: _memo, state, ...rest } = schedule;
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...rest,
    // An operator's pause (and its note) survives a worker restart.
    state: { paused: previous.state.paused, note: previous.state.note ?? state?.note },
  }));
  return 'updated';
}

/**
 * Overlap SKIP: a nightly run still going at the next tick is not doubled. Catch-up window explicit
 * (SCHEDULE_CATCHUP_WINDOW_MINUTES): after a server outage a missed run still starts if at most that late;
 * the SDK default of one year would replay stale nights. TriggeredBy=schedule tags every run it starts.
 */
function toScheduleOptions(
  definition: ScheduleDefinition,
  config: Config,
  idPrefix: string,
): ScheduleOptions<ScheduleOptionsStartWorkflowAction<Workflow>> {
  return {
    scheduleId: `${idPrefix}${definition.scheduleId}`,
    spec: { cronExpressions: [definition.cron], timezone: config.schedules.timezone },
    action: {
      type: 'startWorkflow',
      workflowType: definition.workflow,
      workflowId: `${idPrefix}${definition.workflowId}`,
      taskQueue: config.temporal.taskQueue,
      args: [definition.input],
      typedSearchAttributes: [{ key: TRIGGERED_BY_SEARCH_ATTRIBUTE, value: 'schedule' }],
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: `${config.schedules.catchupWindowMinutes} minutes`,
      pauseOnFailure: false,
    },
    state: { note: definition.description },
  };
}
