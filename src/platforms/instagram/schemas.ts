import { z } from 'zod';

/**
 * Wire shapes of the Instagram API with Instagram Login (docs/platforms.md#instagram). Objects are not
 * strict: unknown keys are dropped, so fields Meta adds later never break a parse.
 */

/** Ids exceed 2^53: the lossless parser hands big ones over as digit strings, small ones as numbers. */
export const idString = z.union([z.string().min(1), z.number()]).transform(String);

const permissions = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) =>
    (Array.isArray(value) ? value : (value ?? '').split(',')).map((s) => s.trim()).filter(Boolean),
  );

const shortLivedToken = z.object({ access_token: z.string().min(1), user_id: idString, permissions });

/** POST api.instagram.com/oauth/access_token answers `{data:[{...}]}` (Business Login) or flat (reference page). */
export const codeExchangeSchema = z.union([
  z.object({ data: z.array(shortLivedToken).min(1) }).transform((body) => body.data[0]),
  shortLivedToken,
]);

/** GET /access_token (ig_exchange_token) and GET /refresh_access_token share this shape. */
export const longLivedTokenSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().int().positive(),
  permissions,
});

export const identitySchema = z.object({ user_id: idString, username: z.string() });

export const profileSchema = z.object({
  user_id: idString,
  username: z.string(),
  name: z.string().nullish(),
  followers_count: z.number().int(),
  follows_count: z.number().int(),
  media_count: z.number().int(),
});

/** Meta writes `2019-04-05T07:56:32+0000`: no colon in the offset, which not every parser accepts. */
function parseMetaTimestamp(value: string): Date {
  return new Date(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

const countOrZero = z
  .number()
  .int()
  .nullish()
  .transform((value) => value ?? 0);

const mediaSchema = z.object({
  id: idString,
  caption: z.string().nullish(),
  media_type: z.string(),
  media_product_type: z.string().nullish(),
  media_url: z.string().nullish(),
  permalink: z.string().nullish(),
  timestamp: z
    .string()
    .transform(parseMetaTimestamp)
    .refine((value) => !Number.isNaN(value.getTime()), 'not a timestamp'),
  // Absent when the owner hides counts: report 0 rather than failing the whole page.
  like_count: countOrZero,
  comments_count: countOrZero,
});
export type InstagramMedia = z.output<typeof mediaSchema>;

export const mediaPageSchema = z.object({
  data: z.array(mediaSchema),
  paging: z.object({ next: z.string().optional() }).optional(),
});

/** Graph envelope; branch on code/subcode, never on type or message (docs/platforms.md#instagram-errors). */
export const graphErrorSchema = z.object({
  error: z.object({
    message: z.string().catch(''),
    code: z.coerce.number(),
    error_subcode: z.coerce.number().optional().catch(undefined),
    is_transient: z.boolean().optional().catch(undefined),
    fbtrace_id: z.string().optional().catch(undefined),
  }),
});

/** api.instagram.com answers OAuth failures in a different shape (docs/platforms.md#instagram-authorization-and-code-exchange). */
export const oauthHostErrorSchema = z.object({
  error_type: z.string(),
  code: z.coerce.number(),
  error_message: z.string().catch(''),
});
