import { z } from 'zod';
import { AppError } from '../../errors';
import { ScheduleMissingError, type ScheduleAdmin } from '../../temporal/schedule-admin';
import type { WorkflowClient } from '../../temporal/workflow-client';
import type { AppContext } from '../context';
import { defineRoute, type RouteDefinition } from '../openapi/route';
import { idParams, workflowStartedSchema } from '../schemas';
import {
  accountsByStatusAndPlatform,
  fleetFreshness,
  lastFleetRuns,
  refreshSuccessRate,
} from '../services/stats-service';
import { retryDeadWebhook, webhookDeliveries, type WebhookSettings } from '../services/webhooks-service';
import { presentStarted } from '../presenters';
import {
  refreshTokensBody,
  scheduleNoteBody,
  scheduleParams,
  scheduleSchema,
  statsSchema,
  syncDataBody,
  webhookRetrySchema,
  webhooksQuery,
  webhooksSchema,
} from './admin.schemas';

const ADMIN_ERRORS = ['UNAUTHENTICATED', 'FORBIDDEN'] as const;

/** What the stats and webhook routes show of the configuration. */
export interface AdminSettings {
  staleAfterHours: number;
  webhooks: WebhookSettings;
}

/** `scheduleIds`: the schedules admins may see and change (SCHEDULE_IDS in production; unique ids in tests). */
export function adminRoutes(
  workflows: WorkflowClient,
  schedules: ScheduleAdmin,
  scheduleIds: readonly string[],
  settings: AdminSettings,
): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/admin/refresh-tokens',
      operationId: 'adminRefreshTokens',
      tag: 'admin',
      summary: 'Start a fleet token refresh now (or get the on-demand one already running)',
      auth: 'admin',
      body: refreshTokensBody,
      success: { status: 202, description: 'Started', schema: workflowStartedSchema },
      errors: [...ADMIN_ERRORS, 'VALIDATION_FAILED', 'INVALID_JSON'],
      handler: async (ctx, { body }) =>
        presentStarted(await workflows.startFleetRefresh({ ...body, triggeredBy: 'admin' })),
    }),
    defineRoute({
      method: 'post',
      path: '/admin/sync-data',
      operationId: 'adminSyncData',
      tag: 'admin',
      summary: 'Start a fleet data sync now (or get the on-demand one already running)',
      auth: 'admin',
      body: syncDataBody,
      success: { status: 202, description: 'Started', schema: workflowStartedSchema },
      errors: [...ADMIN_ERRORS, 'VALIDATION_FAILED', 'INVALID_JSON'],
      handler: async (ctx, { body }) =>
        presentStarted(await workflows.startFleetSync({ ...body, triggeredBy: 'admin' })),
    }),
    defineRoute({
      method: 'get',
      path: '/admin/schedules',
      operationId: 'adminListSchedules',
      tag: 'admin',
      summary: 'Both schedules: cron, timezone, paused, next runs, recent runs with status',
      auth: 'admin',
      success: {
        status: 200,
        description: 'Schedules',
        schema: z.object({ schedules: z.array(scheduleSchema) }),
      },
      errors: [...ADMIN_ERRORS],
      handler: async () => ({ schedules: await listKnownSchedules(schedules, scheduleIds) }),
    }),
    scheduleActionRoute(
      schedules,
      scheduleIds,
      'trigger',
      'Run the schedule now (with its own overlap policy)',
    ),
    scheduleActionRoute(schedules, scheduleIds, 'pause', 'Pause the schedule'),
    scheduleActionRoute(schedules, scheduleIds, 'unpause', 'Resume the schedule'),
    defineRoute({
      method: 'get',
      path: '/admin/stats',
      operationId: 'adminStats',
      tag: 'admin',
      summary:
        'Accounts by status and platform, 7-day refresh success rate, last fleet runs with durations, data freshness',
      auth: 'admin',
      success: { status: 200, description: 'Stats', schema: statsSchema },
      errors: [...ADMIN_ERRORS],
      handler: async (ctx) => {
        const [accounts, tokenRefresh, fleetRuns, freshness] = await Promise.all([
          accountsByStatusAndPlatform(ctx.state.em),
          refreshSuccessRate(ctx.state.em),
          lastFleetRuns(workflows),
          fleetFreshness(ctx.state.em, settings.staleAfterHours),
        ]);
        return { accounts, tokenRefresh, fleetRuns, freshness };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/admin/webhooks',
      operationId: 'adminWebhooks',
      tag: 'admin',
      summary: 'Data event deliveries: counts by status, oldest pending age, last error, dead events',
      description: 'The event catalogue, retries and signatures are in docs/webhooks.md.',
      auth: 'admin',
      query: webhooksQuery,
      success: { status: 200, description: 'Deliveries', schema: webhooksSchema },
      errors: [...ADMIN_ERRORS, 'VALIDATION_FAILED'],
      handler: async (ctx, { query }) =>
        webhookDeliveries(ctx.state.em, settings.webhooks, { deadLimit: query.limit }),
    }),
    defineRoute({
      method: 'post',
      path: '/admin/webhooks/:id/retry',
      operationId: 'adminRetryWebhook',
      tag: 'admin',
      summary: 'Send a dead event again: pending now, with a fresh day of retries',
      description:
        'Only dead events; the event keeps its id and sequence (its account may have had later events delivered meanwhile).',
      auth: 'admin',
      params: idParams,
      success: { status: 200, description: 'Pending again', schema: webhookRetrySchema },
      errors: [...ADMIN_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'CONFLICT'],
      handler: async (ctx, { params }) => {
        const retried = await retryDeadWebhook(ctx.state.em, params.id);
        ctx.state.log.info({ eventId: params.id }, 'dead webhook event retried');
        return retried;
      },
    }),
  ];
}

function scheduleActionRoute(
  schedules: ScheduleAdmin,
  scheduleIds: readonly string[],
  action: 'trigger' | 'pause' | 'unpause',
  summary: string,
): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: `/admin/schedules/:id/${action}`,
    operationId: `adminSchedule${action[0].toUpperCase()}${action.slice(1)}`,
    tag: 'admin',
    summary,
    auth: 'admin',
    params: scheduleParams,
    body: scheduleNoteBody,
    success: {
      status: action === 'trigger' ? 202 : 200,
      description: 'Done',
      schema: z.object({ schedule: scheduleSchema }),
    },
    errors: [...ADMIN_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND'],
    handler: async (ctx, { params, body }) => {
      const note = body.note ?? `${action} via API by ${who(ctx)}`;
      if (!scheduleIds.includes(params.id)) throw new AppError('NOT_FOUND', `No schedule "${params.id}".`);
      await onSchedule(params.id, async () => {
        if (action === 'trigger') await schedules.trigger(params.id);
        else await schedules[action](params.id, note);
      });
      ctx.state.log.info({ scheduleId: params.id, action }, 'schedule changed');
      return { schedule: await schedules.view(params.id) };
    },
  });
}

/** A configured schedule that does not exist (yet) is left out rather than failing the whole list. */
async function listKnownSchedules(schedules: ScheduleAdmin, scheduleIds: readonly string[]) {
  const views = await Promise.all(
    scheduleIds.map((id) =>
      schedules
        .view(id)
        .catch((error) => (error instanceof ScheduleMissingError ? null : Promise.reject(error))),
    ),
  );
  return views.filter((view) => view !== null);
}

async function onSchedule(id: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof ScheduleMissingError) throw new AppError('NOT_FOUND', `No schedule "${id}".`);
    throw error;
  }
}

function who(ctx: AppContext): string {
  return ctx.state.user ? `admin ${ctx.state.user.email}` : 'cron';
}
