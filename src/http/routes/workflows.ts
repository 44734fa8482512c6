import { z } from 'zod';
import type { Platform } from '../../platforms/types';
import type { WorkflowClient } from '../../temporal/workflow-client';
import { defineRoute, type RouteDefinition } from '../openapi/route';
import { idSchema, workflowIdSchema, workflowStartedSchema, workflowStatusSchema } from '../schemas';
import { presentStarted } from '../presenters';
import { findAccountToSync, findVisibleWorkflow } from '../services/sync-service';
import { SYNC_EXAMPLES, WORKFLOW_STATUS_EXAMPLES } from './examples';

const syncBody = z
  .strictObject({
    accountId: idSchema.optional().describe('default: your most recently connected account on the platform'),
  })
  .optional()
  .transform((body) => body ?? {});

function syncRoute(workflows: WorkflowClient, platform: Platform): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: `/${platform}/sync`,
    operationId: `sync${platform === 'instagram' ? 'Instagram' : 'TikTok'}`,
    tag: 'workflows',
    summary: `Start a sync of your ${platform} account (or get the one already running)`,
    description:
      'Starts syncAccountWorkflow; a sync already running for the account is returned instead (202 both ways). ' +
      'Poll statusUrl. X-Cron-Secret callers must give accountId and are not subject to the social limit.',
    auth: 'user-or-cron',
    rateLimit: 'social',
    body: syncBody,
    success: { status: 202, description: 'Started or already running', schema: workflowStartedSchema },
    examples: SYNC_EXAMPLES,
    errors: ['UNAUTHENTICATED', 'VALIDATION_FAILED', 'INVALID_JSON', 'NOT_FOUND', 'REAUTH_REQUIRED'],
    handler: async (ctx, { body }) => {
      const account = await findAccountToSync(ctx, platform, body);
      const started = await workflows.startAccountSync(account, ctx.state.user ? 'api' : 'admin');
      ctx.state.log.info({ accountId: account.id, workflowId: started.workflowId }, 'sync requested');
      return presentStarted(started);
    },
  });
}

export function workflowRoutes(workflows: WorkflowClient): RouteDefinition[] {
  return [
    syncRoute(workflows, 'instagram'),
    syncRoute(workflows, 'tiktok'),
    defineRoute({
      method: 'get',
      path: '/workflows/:workflowId',
      operationId: 'getWorkflowStatus',
      tag: 'workflows',
      summary: "A workflow's status, live progress while it runs, result or error when closed",
      description: 'Users see workflows of their own accounts only (others answer 404); admins see all.',
      auth: 'user-or-cron',
      params: z.object({ workflowId: workflowIdSchema }),
      success: { status: 200, description: 'Status', schema: workflowStatusSchema },
      examples: WORKFLOW_STATUS_EXAMPLES,
      errors: ['UNAUTHENTICATED', 'VALIDATION_FAILED', 'NOT_FOUND'],
      handler: async (ctx, { params }) => {
        const view = await findVisibleWorkflow(ctx, workflows, params.workflowId);
        ctx.state.log.debug(
          { workflowId: view.workflowId, accountId: view.accountId },
          'workflow status read',
        );
        return view;
      },
    }),
  ];
}
