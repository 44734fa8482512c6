import { z } from 'zod';
import { ACCOUNT_STATUSES, USER_ROLES } from '../db/entities';
import { PLATFORMS } from '../platforms/types';

/** Shared request and response schemas; route-specific ones live next to their routes. */

export const platformSchema = z.enum(PLATFORMS).describe('instagram or tiktok');
export const idSchema = z.uuid({ error: 'must be a UUID' });
export const idParams = z.object({ id: idSchema });
export const platformParams = z.object({ platform: platformSchema });
export const workflowIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'must be a workflow id (letters, digits, . _ : -)');
export const limitQuery = (defaultLimit: number, max: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(defaultLimit)
    .describe(`1 to ${max}, default ${defaultLimit}`);

const isoDate = z.iso.datetime({ offset: true });

export const userSchema = z.object({
  id: z.uuid(),
  email: z.email(),
  name: z.string(),
  role: z.enum(USER_ROLES),
  verified: z.boolean(),
  createdAt: isoDate,
});

export const authResultSchema = z.object({
  token: z.string().describe('JWT (HS256); send as `Authorization: Bearer <token>`'),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('seconds'),
  user: userSchema,
});

export const accountSchema = z.object({
  id: z.uuid(),
  platform: platformSchema,
  externalId: z.string(),
  username: z.string(),
  displayName: z.string().nullable(),
  status: z.enum(ACCOUNT_STATUSES),
  followers: z.number().int(),
  following: z.number().int(),
  mediaCount: z.number().int(),
  engagementRate: z.number().describe('percent'),
  lastSyncedAt: isoDate.nullable(),
  lastRefreshedAt: isoDate.nullable(),
  tokenExpiresAt: isoDate.nullable(),
  lastErrorCode: z.string().nullable(),
  connectedAt: isoDate,
});

export const postSchema = z.object({
  id: z.uuid(),
  platformId: z.string(),
  type: z.string(),
  caption: z.string().nullable(),
  permalink: z.string().nullable(),
  mediaUrl: z.string().nullable(),
  publishedAt: isoDate,
  likes: z.number().int(),
  comments: z.number().int(),
  shares: z.number().int().nullable(),
  views: z.number().int().nullable(),
});

export const snapshotSchema = z.object({
  day: z.string().describe('YYYY-MM-DD (UTC)'),
  followers: z.number().int(),
  following: z.number().int(),
  mediaCount: z.number().int(),
  postsSynced: z.number().int(),
  engagementRate: z.number(),
});

const historyDate = z.string().describe('YYYY-MM-DD (UTC)');

/** One day of GET /accounts/:id/history: a snapshot, or a day without one. */
export const historyDaySchema = z.union([
  snapshotSchema.extend({ date: historyDate, missing: z.literal(false) }),
  z
    .object({ date: historyDate, day: historyDate.describe('same as date'), missing: z.literal(true) })
    .describe('no data was stored that day (the sync did not run or failed)'),
]);

export const notificationSchema = z.object({
  id: z.uuid(),
  kind: z.string(),
  payload: z.record(z.string(), z.unknown()),
  readAt: isoDate.nullable(),
  createdAt: isoDate,
});

export const workflowStartedSchema = z.object({
  workflowId: z.string(),
  runId: z.string(),
  type: z.string(),
  status: z.string().describe('RUNNING, COMPLETED, ...'),
  statusUrl: z.string(),
});

export const workflowStatusSchema = z.object({
  workflowId: z.string(),
  runId: z.string(),
  type: z.string(),
  status: z.string(),
  startedAt: isoDate,
  closedAt: isoDate.nullable(),
  accountId: z.string().nullable(),
  platform: z.string().nullable(),
  triggeredBy: z.string().nullable(),
  progress: z.unknown().describe("the workflow's progressQuery answer while it runs, else null"),
  result: z.unknown().describe('the result once COMPLETED, else null'),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
