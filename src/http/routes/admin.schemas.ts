import { z } from 'zod';
import { OUTBOX_STATUSES } from '../../db/entities';
import { EVENT_KINDS } from '../../webhooks/events';
import { limitQuery, platformSchema } from '../schemas';

/** Options of an on-demand fleet sync; omitted fields take the configured defaults (SYNC_*). */
export const syncDataBody = z
  .strictObject({
    minAgeHours: z
      .number()
      .min(0)
      .max(24 * 365)
      .optional()
      .describe('accounts synced more recently are skipped; default SYNC_MIN_AGE_HOURS'),
    platform: platformSchema.optional().describe('only this platform; default both'),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(300)
      .optional()
      .describe('default SYNC_CONCURRENCY (at most 300)'),
  })
  .optional()
  .transform((body) => body ?? {});

/** Options of an on-demand fleet token refresh; omitted fields take the configured defaults (REFRESH_*). */
export const refreshTokensBody = z
  .strictObject({
    windowDays: z
      .number()
      .int()
      .min(1)
      .max(60)
      .optional()
      .describe('tokens expiring within this many days; default REFRESH_WINDOW_DAYS'),
    concurrency: z.number().int().min(1).max(100).optional().describe('default REFRESH_CONCURRENCY'),
  })
  .optional()
  .transform((body) => body ?? {});

export const scheduleParams = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be a schedule id'),
});

export const scheduleNoteBody = z
  .strictObject({ note: z.string().max(500).optional() })
  .optional()
  .transform((body) => body ?? {});

const scheduleRun = z.object({
  workflowId: z.string(),
  runId: z.string(),
  scheduledAt: z.string(),
  startedAt: z.string(),
  status: z.string(),
});

export const scheduleSchema = z.object({
  id: z.string(),
  workflowType: z.string().nullable(),
  cron: z.array(z.string()),
  timezone: z.string(),
  paused: z.boolean(),
  note: z.string().nullable(),
  overlap: z.string(),
  catchupWindowMs: z.number(),
  nextRuns: z.array(z.string()),
  recentRuns: z.array(scheduleRun).describe('newest first, with their current status'),
  running: z.array(z.string()),
});

const runSummary = z.object({
  workflowId: z.string(),
  runId: z.string(),
  type: z.string(),
  status: z.string(),
  startedAt: z.string(),
  closedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
});

const platformFreshness = z.object({
  active: z.number().int(),
  syncedWithin24h: z.number().int().describe('active accounts synced within the last 24 hours'),
  stale: z.number().int().describe('active accounts whose data is older than staleAfterHours'),
  oldestSyncAgeSeconds: z
    .number()
    .int()
    .describe('age of the oldest data among active accounts (never synced: since connection); 0 without any'),
});

export const statsSchema = z.object({
  accounts: z.object({
    total: z.number().int(),
    byStatus: z.record(z.string(), z.number()),
    byPlatform: z.record(z.string(), z.record(z.string(), z.number())),
  }),
  tokenRefresh: z.object({
    days: z.number(),
    since: z.string(),
    attempts: z.number(),
    byOutcome: z.record(z.string(), z.number()),
    successRate: z
      .number()
      .nullable()
      .describe('refreshed / (refreshed + reauth_required + expired + failed); null without attempts'),
  }),
  fleetRuns: z.object({ sync: z.array(runSummary), refresh: z.array(runSummary) }),
  freshness: z.object({
    staleAfterHours: z.number().describe('STALE_AFTER_HOURS'),
    byPlatform: z.record(z.string(), platformFreshness),
  }),
});

export const webhooksQuery = z.object({
  limit: limitQuery(20, 100).describe('dead events listed, 1 to 100'),
});

const isoDate = z.iso.datetime({ offset: true });
const outboxStatus = z.enum(OUTBOX_STATUSES);

export const webhooksSchema = z.object({
  configured: z.boolean().describe('NOTIFY_WEBHOOK_URL is set (without it every event is skipped)'),
  events: z.array(z.enum(EVENT_KINDS)).describe('the kinds sent (WEBHOOK_EVENTS)'),
  counts: z
    .record(outboxStatus, z.number().int())
    .describe('events in the outbox by status (delivered and skipped ones are kept 7 days)'),
  oldestPendingAgeSeconds: z
    .number()
    .int()
    .nullable()
    .describe('age of the oldest event not yet delivered; null when none waits'),
  lastError: z
    .object({
      eventId: z.uuid(),
      kind: z.string(),
      error: z.string().describe('HTTP_<status>, NETWORK or TIMEOUT'),
      httpStatus: z.number().int().nullable(),
      at: isoDate,
      status: outboxStatus.describe('what the event is now'),
    })
    .nullable()
    .describe('the most recent failed attempt'),
  dead: z
    .array(
      z.object({
        id: z.uuid(),
        kind: z.string(),
        accountId: z.uuid().nullable(),
        attempts: z.number().int(),
        lastError: z.string().nullable(),
        lastHttpStatus: z.number().int().nullable(),
        createdAt: isoDate,
        lastAttemptAt: isoDate.nullable(),
      }),
    )
    .describe('dead events, most recent failure first'),
});

export const webhookRetrySchema = z.object({ id: z.uuid(), status: z.literal('pending') });
