import {
  ScheduleNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
} from '@temporalio/client';
import { formatCalendarAsCron } from './schedule-cron';

/** How many of a schedule's recent runs the admin view shows, each with its status (one describe each). */
const RECENT_RUNS_SHOWN = 5;

export interface ScheduleRunView {
  workflowId: string;
  runId: string;
  scheduledAt: string;
  startedAt: string;
  status: string;
}

export interface ScheduleView {
  id: string;
  workflowType: string | null;
  cron: string[];
  timezone: string;
  paused: boolean;
  note: string | null;
  overlap: string;
  catchupWindowMs: number;
  nextRuns: string[];
  recentRuns: ScheduleRunView[];
  running: string[];
}

export class ScheduleMissingError extends Error {}

/** Admin operations on Temporal Schedules; every call throws ScheduleMissingError for an unknown id. */
export function createScheduleAdmin({ client }: { client: Client }) {
  /** The SDK's ScheduleNotFoundError (any call on an unknown id) as ours. */
  async function onSchedule<T>(id: string, call: (handle: ScheduleHandle) => Promise<T>): Promise<T> {
    try {
      return await call(client.schedule.getHandle(id));
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) throw new ScheduleMissingError(id);
      throw error;
    }
  }

  const describe = (id: string): Promise<ScheduleDescription> =>
    onSchedule(id, (handle) => handle.describe());

  async function runStatus(workflowId: string, runId: string): Promise<string> {
    try {
      return (await client.workflow.getHandle(workflowId, runId).describe()).status.name;
    } catch {
      return 'UNKNOWN';
    }
  }

  async function view(id: string): Promise<ScheduleView> {
    const description = await describe(id);
    const recent = description.info.recentActions.slice(-RECENT_RUNS_SHOWN).reverse();
    const recentRuns = await Promise.all(
      recent.map(async (action) => ({
        workflowId: action.action.workflow.workflowId,
        runId: action.action.workflow.firstExecutionRunId,
        scheduledAt: action.scheduledAt.toISOString(),
        startedAt: action.takenAt.toISOString(),
        status: await runStatus(
          action.action.workflow.workflowId,
          action.action.workflow.firstExecutionRunId,
        ),
      })),
    );
    return {
      id,
      workflowType: description.action.type === 'startWorkflow' ? description.action.workflowType : null,
      cron: (description.spec.calendars ?? []).map(formatCalendarAsCron),
      timezone: description.spec.timezone ?? 'UTC',
      paused: description.state.paused,
      note: description.state.note || null,
      overlap: String(description.policies.overlap),
      catchupWindowMs: description.policies.catchupWindow,
      nextRuns: description.info.nextActionTimes.map((time) => time.toISOString()),
      recentRuns,
      running: description.info.runningActions.map((action) => action.workflow.workflowId),
    };
  }

  return {
    view,
    /**
     * Starts one run now with the schedule's own overlap policy, passed explicitly: `trigger()` without one
     * uses ALLOW_ALL in SDK 1.24, which would run a second fleet run next to a running one.
     */
    async trigger(id: string): Promise<void> {
      const { policies } = await describe(id);
      await onSchedule(id, (handle) => handle.trigger(policies.overlap));
    },
    pause: (id: string, note: string): Promise<void> => onSchedule(id, (handle) => handle.pause(note)),
    unpause: (id: string, note: string): Promise<void> => onSchedule(id, (handle) => handle.unpause(note)),
  };
}

export type ScheduleAdmin = ReturnType<typeof createScheduleAdmin>;
