import type { Client } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { createWorkflowClient, type StartedWorkflow, type WorkflowClient } from '../temporal/workflow-client';
import { refreshExpiringTokensWorkflow, syncAllAccountsWorkflow } from '../../workflows';
import type { Platform } from '../platforms/types';
import type { RefreshExpiringTokensInput, SyncAllAccountsInput } from '../../workflows/contract';
import { numberOption, parseCommandArgs, UsageError, type CommandOutput } from './command';
import { REFRESH_FLEET, SYNC_FLEET, type FleetKind } from './fleet-kinds';
import { followRun } from './follow-run';
import { createProgressReporter } from './progress-reporter';

export const SYNC_USAGE = `npm run admin -- sync [--min-age-hours N] [--platform instagram|tiktok] [--concurrency N] [--follow [--every S]] [--json]

Starts a fleet data sync now (syncAllAccountsWorkflow, id sync-all-accounts-on-demand, TriggeredBy=cli) through
Temporal, or joins the on-demand one already running (the API's POST /admin/sync-data uses the same id).
--min-age-hours 0 syncs every active account. --follow shows its progress query until the run closes (a live bar
on a terminal, one plain line per change otherwise, every S seconds, default 1), then prints the summary and
exits 1 if the run failed. --json prints the start or the result as JSON.`;

export const REFRESH_USAGE = `npm run admin -- refresh [--window-days N] [--concurrency N] [--follow [--every S]] [--json]

Starts a fleet token refresh now (refreshExpiringTokensWorkflow, id refresh-expiring-tokens-on-demand,
TriggeredBy=cli) through Temporal, or joins the on-demand one already running. Refreshes active accounts whose
access token expires within N days (default REFRESH_WINDOW_DAYS of the worker). --follow and --json as for sync.`;

export interface FleetCommandDeps {
  client: Client;
  taskQueue: string;
  output: CommandOutput;
}

const COMMON_OPTIONS = {
  concurrency: { type: 'string' },
  follow: { type: 'boolean', default: false },
  every: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export async function runSyncCommand(argv: string[], deps: FleetCommandDeps): Promise<string> {
  const values = parseCommandArgs(argv, {
    ...COMMON_OPTIONS,
    'min-age-hours': { type: 'string' },
    platform: { type: 'string' },
  });
  const platform = values.platform as string | undefined;
  if (platform !== undefined && platform !== 'instagram' && platform !== 'tiktok')
    throw new UsageError(`--platform must be instagram or tiktok (got "${platform}")`);
  const input: SyncAllAccountsInput = withoutUndefined({
    triggeredBy: 'cli',
    minAgeHours: numberOption('min-age-hours', values['min-age-hours'] as string | undefined, 0),
    platform: platform as Platform | undefined,
    concurrency: numberOption('concurrency', values.concurrency as string | undefined, 1),
  });
  return startFleetRun(
    SYNC_FLEET,
    syncAllAccountsWorkflow,
    (workflows) => workflows.startFleetSync(input),
    values,
    deps,
  );
}

export async function runRefreshCommand(argv: string[], deps: FleetCommandDeps): Promise<string> {
  const values = parseCommandArgs(argv, { ...COMMON_OPTIONS, 'window-days': { type: 'string' } });
  const input: RefreshExpiringTokensInput = withoutUndefined({
    triggeredBy: 'cli',
    windowDays: numberOption('window-days', values['window-days'] as string | undefined, 1),
    concurrency: numberOption('concurrency', values.concurrency as string | undefined, 1),
  });
  return startFleetRun(
    REFRESH_FLEET,
    refreshExpiringTokensWorkflow,
    (workflows) => workflows.startFleetRefresh(input),
    values,
    deps,
  );
}

interface FleetFlags {
  follow?: boolean;
  json?: boolean;
  every?: string | boolean;
}

async function startFleetRun<Progress, Result>(
  kind: FleetKind<Progress, Result>,
  workflow: Workflow,
  start: (workflows: WorkflowClient) => Promise<StartedWorkflow>,
  flags: FleetFlags,
  { client, taskQueue, output }: FleetCommandDeps,
): Promise<string> {
  const everySeconds = numberOption('every', flags.every as string | undefined, 0.1) ?? 1;
  const runningBefore = await runningRunIds(client, workflow);
  const started = await start(createWorkflowClient({ client, taskQueue }));
  const joined = runningBefore.has(started.runId);
  output.err.write(
    joined
      ? `${kind.title} ${started.workflowId} was already running (run ${started.runId}): joined it; its own options apply.\n`
      : `${kind.title} started: workflow ${started.workflowId}, run ${started.runId}, task queue ${taskQueue}.\n`,
  );
  if (!flags.follow) {
    if (flags.json) return JSON.stringify({ ...started, alreadyRunning: joined });
    return [
      `Progress: temporal workflow query --workflow-id ${started.workflowId} --name progress`,
      `Status:   temporal workflow describe --workflow-id ${started.workflowId}`,
      `Follow:   npm run admin -- ${kind.label} --follow   (joins this run while it is going)`,
    ].join('\n');
  }
  stopFollowingOnInterrupt(output, started.workflowId);
  const result = await followRun({
    client,
    workflowId: started.workflowId,
    kind,
    reporter: createProgressReporter({ stream: output.err, label: kind.label }),
    everyMs: everySeconds * 1000,
  });
  return flags.json ? JSON.stringify(result) : kind.summarize(started.workflowId, result);
}

/** Run ids of the open runs of this type (scheduled or on demand), to tell "started" from "joined". */
async function runningRunIds(client: Client, workflow: Workflow): Promise<Set<string>> {
  const ids = new Set<string>();
  const query = `WorkflowType = '${workflow.name}' AND ExecutionStatus = 'Running'`;
  for await (const run of client.workflow.list({ query })) ids.add(run.runId);
  return ids;
}

/** Ctrl-C stops watching, not the run: say so, and how to find it again. */
function stopFollowingOnInterrupt(output: CommandOutput, workflowId: string): void {
  process.once('SIGINT', () => {
    output.err.write(
      `\nStopped following. ${workflowId} keeps running: temporal workflow describe --workflow-id ${workflowId}\n`,
    );
    process.exit(130);
  });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}
