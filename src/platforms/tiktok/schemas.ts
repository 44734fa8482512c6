import { z } from 'zod';

/**
 * Wire shapes of TikTok Login Kit v2 and the Display API (docs/platforms.md#tiktok). Objects are not
 * strict: unknown keys are dropped.
 */

/** Every Display API answer carries `error`; success is `code: "ok"`, whatever the HTTP status. */
export const apiErrorEnvelopeSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string().catch(''),
    log_id: z.string().optional().catch(undefined),
  }),
});

/** OAuth failures: `{error, error_description, log_id}`, with HTTP 400 or 200 depending on who you ask. */
export const oauthErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().catch(''),
  log_id: z.string().optional().catch(undefined),
});

export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
  open_id: z.string().min(1),
  refresh_token: z.string().min(1),
  refresh_expires_in: z.number().int().positive(),
  scope: z.string().optional().default(''),
  token_type: z.string().optional(),
});
export type TikTokTokenResponse = z.output<typeof tokenResponseSchema>;

export const USER_FIELDS =
  'open_id,union_id,display_name,username,follower_count,following_count,likes_count,video_count';

export const userInfoSchema = z.object({
  data: z.object({
    user: z.object({
      open_id: z.string(),
      display_name: z.string().nullish(),
      username: z.string().nullish(),
      follower_count: z.number().int(),
      following_count: z.number().int(),
      video_count: z.number().int(),
    }),
  }),
});

/** No cover_image_url: it expires after 6 h and must not be stored (docs/platforms.md#tiktok-pitfalls). */
export const VIDEO_FIELDS =
  'id,create_time,share_url,embed_link,video_description,title,duration,like_count,comment_count,share_count,view_count';

const countOrNull = z.number().int().nullish();

const videoSchema = z.object({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  /** Seconds (the list cursor is milliseconds: the units differ). */
  create_time: z.number().int(),
  embed_link: z.string().nullish(),
  share_url: z.string().nullish(),
  video_description: z.string().nullish(),
  title: z.string().nullish(),
  like_count: countOrNull,
  comment_count: countOrNull,
  share_count: countOrNull,
  view_count: countOrNull,
});
export type TikTokVideo = z.output<typeof videoSchema>;

export const videoListSchema = z.object({
  data: z.object({
    videos: z
      .array(videoSchema)
      .nullish()
      .transform((videos) => videos ?? []),
    cursor: z.number().int().nullish(),
    has_more: z.boolean(),
  }),
});
