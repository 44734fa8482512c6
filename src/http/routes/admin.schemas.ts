import { z } from 'zod';
import { platformSchema } from '../schemas';

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
});
