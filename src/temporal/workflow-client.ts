import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  ApplicationFailure,
  TemporalFailure,
  WorkflowIdConflictPolicy,
  type SearchAttributePair,
} from '@temporalio/common';
import {
  ACCOUNT_ID_SEARCH_ATTRIBUTE,
  makeRefreshExpiringTokensWorkflowId,
  makeSyncAccountWorkflowId,
  makeSyncAllAccountsWorkflowId,
  PLATFORM_SEARCH_ATTRIBUTE,
  progressQuery,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  type Platform,
  type RefreshExpiringTokensInput,
  type SyncAccountInput,
  type SyncAllAccountsInput,
  type TriggeredBy,
} from '../../workflows/shared';

/** Workflow type names as the worker registers them (exported from workflows/index.ts). */
export const WORKFLOW_TYPES = {
  syncAccount: 'syncAccountWorkflow',
  syncAllAccounts: 'syncAllAccountsWorkflow',
  refreshExpiringTokens: 'refreshExpiringTokensWorkflow',
  refreshAccountToken: 'refreshAccountTokenWorkflow',
} as const;

/** A progress query waits for a worker; an API answer must not (the status is still useful without it). */
const PROGRESS_QUERY_TIMEOUT_MS = 2000;
/** On-demand fleet runs share one id: a second request while one runs gets the running one back. */
const ON_DEMAND_RUN_KEY = 'on-demand';

export interface StartedWorkflow {
  workflowId: string;
  runId: string;
  type: string;
}

export interface WorkflowError {
  code: string;
  message: string;
}

export interface WorkflowStatusView {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startedAt: string;
  closedAt: string | null;
  accountId: string | null;
  platform: string | null;
  triggeredBy: string | null;
  progress: unknown;
  result: unknown;
  error: WorkflowError | null;
}

export interface RunSummary {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startedAt: string;
  closedAt: string | null;
  durationMs: number | null;
}

/**
 * Start, describe and list helpers over the process's one Temporal client (start-api.ts creates it).
 * Ids come only from workflows/shared.ts; inputs carry ids, never tokens.
 */
export function createWorkflowClient({ client, taskQueue }: { client: Client; taskQueue: string }) {
  async function start(
    type: string,
    workflowId: string,
    args: unknown[],
    searchAttributes: SearchAttributePair[],
  ): Promise<StartedWorkflow> {
    const handle = await client.workflow.start(type, {
      taskQueue,
      workflowId,
      args,
      // A run already going for the same id is returned instead of failing or starting a second one.
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: searchAttributes,
    });
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, type };
  }

  return {
    startAccountSync(
      account: { id: string; platform: Platform },
      triggeredBy: TriggeredBy,
    ): Promise<StartedWorkflow> {
      const input: SyncAccountInput = { accountId: account.id, triggeredBy };
      return start(
        WORKFLOW_TYPES.syncAccount,
        makeSyncAccountWorkflowId(account.id),
        [input],
        [
          { key: ACCOUNT_ID_SEARCH_ATTRIBUTE, value: account.id },
          { key: PLATFORM_SEARCH_ATTRIBUTE, value: account.platform },
          { key: TRIGGERED_BY_SEARCH_ATTRIBUTE, value: triggeredBy },
        ],
      );
    },

    startFleetSync(input: SyncAllAccountsInput): Promise<StartedWorkflow> {
      return start(
        WORKFLOW_TYPES.syncAllAccounts,
        makeSyncAllAccountsWorkflowId(ON_DEMAND_RUN_KEY),
        [input],
        fleetAttributes(input),
      );
    },

    startFleetRefresh(input: RefreshExpiringTokensInput): Promise<StartedWorkflow> {
      const workflowId = makeRefreshExpiringTokensWorkflowId(ON_DEMAND_RUN_KEY);
      return start(WORKFLOW_TYPES.refreshExpiringTokens, workflowId, [input], fleetAttributes(input));
    },

    /** The latest run of `workflowId`, or null when there is none. */
    async describe(workflowId: string): Promise<WorkflowStatusView | null> {
      const handle = client.workflow.getHandle(workflowId);
      let description;
      try {
        description = await handle.describe();
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return null;
        throw error;
      }
      const status = description.status.name;
      const attributes = description.typedSearchAttributes;
      const outcome = await readOutcome(client, handle, status);
      return {
        workflowId: description.workflowId,
        runId: description.runId,
        type: description.type,
        status,
        startedAt: description.startTime.toISOString(),
        closedAt: description.closeTime?.toISOString() ?? null,
        accountId: attributes.get(ACCOUNT_ID_SEARCH_ATTRIBUTE) ?? null,
        platform: attributes.get(PLATFORM_SEARCH_ATTRIBUTE) ?? null,
        triggeredBy: attributes.get(TRIGGERED_BY_SEARCH_ATTRIBUTE) ?? null,
        ...outcome,
      };
    },

    /** The newest runs of the given workflow types, newest first. */
    async listRecentRuns(type: string, limit: number): Promise<RunSummary[]> {
      const runs: RunSummary[] = [];
      for await (const info of client.workflow.list({ query: `WorkflowType = '${type}'`, pageSize: limit })) {
        const closedAt = info.closeTime ?? null;
        runs.push({
          workflowId: info.workflowId,
          runId: info.runId,
          type: info.type,
          status: info.status.name,
          startedAt: info.startTime.toISOString(),
          closedAt: closedAt?.toISOString() ?? null,
          durationMs: closedAt ? closedAt.getTime() - info.startTime.getTime() : null,
        });
        if (runs.length >= limit) break;
      }
      return runs;
    },
  };
}

export type WorkflowClient = ReturnType<typeof createWorkflowClient>;

function fleetAttributes(input: { triggeredBy?: TriggeredBy; platform?: Platform }): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: TRIGGERED_BY_SEARCH_ATTRIBUTE, value: input.triggeredBy ?? 'api' },
  ];
  if (input.platform) pairs.push({ key: PLATFORM_SEARCH_ATTRIBUTE, value: input.platform });
  return pairs;
}

type Outcome = Pick<WorkflowStatusView, 'progress' | 'result' | 'error'>;

async function readOutcome(client: Client, handle: WorkflowHandle, status: string): Promise<Outcome> {
  if (status === 'RUNNING')
    return { progress: await queryProgress(client, handle), result: null, error: null };
  if (status === 'COMPLETED') return { progress: null, result: await handle.result(), error: null };
  if (status === 'FAILED') return { progress: null, result: null, error: await readFailure(handle) };
  return { progress: null, result: null, error: CLOSED_WITHOUT_RESULT[status] ?? null };
}

const CLOSED_WITHOUT_RESULT: Record<string, WorkflowError> = {
  TERMINATED: { code: 'WORKFLOW_TERMINATED', message: 'The workflow was terminated by an operator.' },
  CANCELLED: { code: 'WORKFLOW_CANCELLED', message: 'The workflow was cancelled.' },
  TIMED_OUT: { code: 'WORKFLOW_TIMED_OUT', message: 'The workflow timed out.' },
};

async function queryProgress(client: Client, handle: WorkflowHandle): Promise<unknown> {
  try {
    return await client.connection.withDeadline(Date.now() + PROGRESS_QUERY_TIMEOUT_MS, () =>
      handle.query(progressQuery),
    );
  } catch {
    return null; // no worker answered in time, or the workflow closed meanwhile: the status still stands
  }
}

/**
 * Code + message of the failure's root application failure. Workflows and activities build these messages
 * from ids and platform codes only (never tokens), so they are safe to show; anything else gets a generic one.
 */
async function readFailure(handle: WorkflowHandle): Promise<WorkflowError> {
  try {
    await handle.result();
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      const root = rootFailure(error.cause);
      if (root instanceof ApplicationFailure)
        return { code: root.type ?? 'WORKFLOW_FAILED', message: root.message.slice(0, 300) };
    }
  }
  return { code: 'WORKFLOW_FAILED', message: 'The workflow failed.' };
}

function rootFailure(error: Error | undefined): Error | undefined {
  let current = error;
  while (
    current instanceof TemporalFailure &&
    current.cause instanceof Error &&
    !(current instanceof ApplicationFailure)
  ) {
    current = current.cause;
  }
  return current;
}
