import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowIdConflictPolicy, type SearchAttributePair } from '@temporalio/common';
import {
  ACCOUNT_ID_SEARCH_ATTRIBUTE,
  makeRefreshExpiringTokensWorkflowId,
  makeSyncAccountWorkflowId,
  makeSyncAllAccountsWorkflowId,
  PLATFORM_SEARCH_ATTRIBUTE,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  type Platform,
  type RefreshExpiringTokensInput,
  type SyncAccountInput,
  type SyncAllAccountsInput,
  type TriggeredBy,
} from '../../workflows/shared';
import { readOutcome, type WorkflowOutcome } from './workflow-outcome';

/** Workflow type names as the worker registers them (exported from workflows/index.ts). */
export const WORKFLOW_TYPES = {
  syncAccount: 'syncAccountWorkflow',
  syncAllAccounts: 'syncAllAccountsWorkflow',
  refreshExpiringTokens: 'refreshExpiringTokensWorkflow',
  refreshAccountToken: 'refreshAccountTokenWorkflow',
} as const;

/** On-demand fleet runs share one id: a second request while one runs gets the running one back. */
const ON_DEMAND_RUN_KEY = 'on-demand';

export interface StartedWorkflow {
  workflowId: string;
  runId: string;
  type: string;
}

/** What every view of one run shows. */
interface RunBasics {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startedAt: string;
  closedAt: string | null;
}

export interface WorkflowStatusView extends RunBasics, WorkflowOutcome {
  accountId: string | null;
  platform: string | null;
  triggeredBy: string | null;
}

export interface RunSummary extends RunBasics {
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
      const attributes = description.typedSearchAttributes;
      const outcome = await readOutcome(client, handle, description.status.name);
      return {
        ...runBasics(description),
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
          ...runBasics(info),
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

type RunInfo = Pick<
  WorkflowExecutionInfo,
  'workflowId' | 'runId' | 'type' | 'status' | 'startTime' | 'closeTime'
>;

function runBasics(info: RunInfo): RunBasics {
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    type: info.type,
    status: info.status.name,
    startedAt: info.startTime.toISOString(),
    closedAt: info.closeTime?.toISOString() ?? null,
  };
}
