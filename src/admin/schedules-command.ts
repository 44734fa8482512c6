import type { Client } from '@temporalio/client';
import { createScheduleAdmin, ScheduleMissingError, type ScheduleView } from '../temporal/schedule-admin';
import { SCHEDULE_IDS } from '../../workflows/contract';
import { parseCommandArgs } from './command';

export const SCHEDULES_USAGE = `npm run admin -- schedules [--json] [--id-prefix P]

Lists socialsync's schedules (${Object.values(SCHEDULE_IDS).join(', ')}): workflow, cron and time zone,
paused or not (with the note), overlap policy, catch-up window, the next runs and the recent runs with their
status. --id-prefix reads schedules created with an id prefix (ensureSchedules' idPrefix, for namespaces shared
by several deployments). To trigger, pause or backfill one, see README "Operations" (temporal CLI).`;

export async function runSchedulesCommand(argv: string[], { client }: { client: Client }): Promise<string> {
  const values = parseCommandArgs(argv, {
    json: { type: 'boolean', default: false },
    'id-prefix': { type: 'string' },
  });
  const prefix = (values['id-prefix'] as string | undefined) ?? '';
  const admin = createScheduleAdmin({ client });
  const found: ScheduleView[] = [];
  const missing: string[] = [];
  for (const id of Object.values(SCHEDULE_IDS).map((scheduleId) => `${prefix}${scheduleId}`)) {
    try {
      found.push(await admin.view(id));
    } catch (error) {
      if (!(error instanceof ScheduleMissingError)) throw error;
      missing.push(id);
    }
  }
  if (values.json) return JSON.stringify({ schedules: found, missing }, null, 2);
  return [
    ...found.map(formatSchedule),
    ...missing.map((id) => `${id}: not found (a worker creates it when it starts)`),
  ].join('\n\n');
}

export function formatSchedule(view: ScheduleView): string {
  const lines = [
    `${view.id}  (${view.workflowType ?? 'no workflow action'})`,
    `  cron       ${view.cron.join(' | ') || '-'}  in ${view.timezone}`,
    `  paused     ${view.paused ? 'yes' : 'no'}${view.note ? `  (note: ${view.note})` : ''}`,
    `  policies   overlap ${view.overlap}, catch-up window ${Math.round(view.catchupWindowMs / 60_000)} min`,
    `  next runs  ${view.nextRuns.slice(0, 3).join(', ') || '-'}`,
  ];
  if (view.running.length > 0) lines.push(`  running    ${view.running.join(', ')}`);
  if (view.recentRuns.length === 0) lines.push('  recent     none yet');
  for (const run of view.recentRuns)
    lines.push(`  recent     ${run.startedAt}  ${run.status.padEnd(10)} ${run.workflowId}`);
  return lines.join('\n');
}
