import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowIdConflictPolicy, type SearchAttributePair, type Workflow } from '@temporalio/common';
import {
  ACCOUNT_ID_SEARCH_ATTRIBUTE,
  makeRefreshExpiringTokensWorkflowId,
  makeSyncAccountWorkflowId,
  makeSyncAllAccountsWorkflowId,
  PLATFORM_SEARCH_ATTRIBUTE,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  type RefreshExpiringTokensInput,
  type SyncAllAccountsInput,
  type TriggeredBy,
} from '../../workflows/contract';
import type { Platform } from '../platforms/types';
import { refreshExpiringTokensWorkflow, syncAccountWorkflow, syncAllAccountsWorkflow } from '../../workflows';
import { LRUCache } from 'lru-cache';
import { readOutcome, type WorkflowOutcome } from './workflow-outcome';

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
 * Outcomes of closed runs, by run id: a closed run's result or failure never changes, and reading it costs a
 * second round trip (the history) after describe. Clients poll a status until it closes, then keep reading it.
 */
const CLOSED_OUTCOMES_KEPT = 1_000;

/**
 * Start, describe and list helpers over the process's one Temporal client (start-api.ts creates it).
 * Ids come only from workflows/contract.ts; inputs carry ids, never tokens.
 */
export function createWorkflowClient({ client, taskQueue }: { client: Client; taskQueue: string }) {
  const closedOutcomes = new LRUCache<string, WorkflowOutcome>({ max: CLOSED_OUTCOMES_KEPT });

  /** The workflow function names its type and types its one input: a changed input fails to compile here. */
  async function start<W extends Workflow>(
    workflow: W,
    workflowId: string,
    input: Parameters<W>[0],
    searchAttributes: SearchAttributePair[],
  ): Promise<StartedWorkflow> {
    const handle = await client.workflow.start(workflow as Workflow, {
      taskQueue,
      workflowId,
      args: [input],
      // A run already going for the same id is returned instead of failing or starting a second one.
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: searchAttributes,
    });
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, type: workflow.name };
  }

  return {
    startAccountSync(
      account: { id: string; platform: Platform },
      triggeredBy: TriggeredBy,
    ): Promise<StartedWorkflow> {
      return start(
        syncAccountWorkflow,
        makeSyncAccountWorkflowId(account.id),
        { accountId: account.id, triggeredBy },
        [
          { key: ACCOUNT_ID_SEARCH_ATTRIBUTE, value: account.id },
          { key: PLATFORM_SEARCH_ATTRIBUTE, value: account.platform },
          { key: TRIGGERED_BY_SEARCH_ATTRIBUTE, value: triggeredBy },
        ],
      );
    },

    startFleetSync(input: SyncAllAccountsInput): Promise<StartedWorkflow> {
      return start(
        syncAllAccountsWorkflow,
        makeSyncAllAccountsWorkflowId(ON_DEMAND_RUN_KEY),
        input,
        fleetAttributes(input),
      );
    },

    startFleetRefresh(input: RefreshExpiringTokensInput): Promise<StartedWorkflow> {
      const workflowId = makeRefreshExpiringTokensWorkflowId(ON_DEMAND_RUN_KEY);
      return start(refreshExpiringTokensWorkflow, workflowId, input, fleetAttributes(input));
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
      const status = description.status.name;
      let outcome = closedOutcomes.get(description.runId);
      if (!outcome) {
        outcome = await readOutcome(client, handle, status);
        if (status !== 'RUNNING') closedOutcomes.set(description.runId, outcome);
      }
      return {
        ...runBasics(description),
        accountId: attributes.get(ACCOUNT_ID_SEARCH_ATTRIBUTE) ?? null,
        platform: attributes.get(PLATFORM_SEARCH_ATTRIBUTE) ?? null,
        triggeredBy: attributes.get(TRIGGERED_BY_SEARCH_ATTRIBUTE) ?? null,
        ...outcome,
      };
    },

    /** The newest runs of a workflow, newest first. */
    async listRecentRuns(workflow: Workflow, limit: number): Promise<RunSummary[]> {
      const runs: RunSummary[] = [];
      const query = `WorkflowType = '${workflow.name}'`;
      for await (const info of client.workflow.list({ query, pageSize: limit })) {
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
