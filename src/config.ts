import { z } from 'zod';
import { EVENT_KINDS, isEventKind, type EventKind } from './webhooks/events';

/**
 * The only reader of process.env. `loadConfig(env)` parses every variable once with the schema below, lists
 * every problem in one error, and returns a frozen object that is passed down explicitly. The `Config` type is
 * what the schema outputs: a new variable goes into envSchema, toConfig and .env.example (a test keeps
 * .env.example in step), nowhere else.
 */

const hex64 = z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes)');
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
const url = z.url();
const cron = z
  .string()
  .trim()
  .regex(/^(\S+\s+){4}\S+$/, 'must be a 5-field cron expression, e.g. "0 2 * * *"');
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** Comma-separated data event kinds; unset or empty: all of them; `none`: no data events. */
const eventKinds = z
  .string()
  .optional()
  .transform((value, ctx): EventKind[] => {
    const trimmed = value?.trim() ?? '';
    if (trimmed === '') return [...EVENT_KINDS];
    if (trimmed === 'none') return [];
    const names = trimmed
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    const unknown = names.filter((name) => !isEventKind(name));
    if (unknown.length > 0)
      ctx.addIssue({
        code: 'custom',
        message: `unknown event kind ${unknown.join(', ')}: use ${EVENT_KINDS.join(', ')} or none`,
      });
    return [...new Set(names.filter(isEventKind))];
  });

/** "<max>/<window>" with the window in s, m, h or d, e.g. "100/15m". */
const rateLimitPolicy = z
  .string()
  .regex(/^\d+\/\d+[smhd]$/, 'must look like "<max>/<window>", e.g. "100/15m"')
  .transform((value) => {
    const [max, window] = value.split('/');
    const unitSeconds = { s: 1, m: 60, h: 3600, d: 86400 }[window.slice(-1) as 's' | 'm' | 'h' | 'd'];
    return { max: Number(max), windowSeconds: Number(window.slice(0, -1)) * unitSeconds };
  });

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('.data'),

  DATABASE_URL: url.default('postgresql://postgres@127.0.0.1:5432/socialsync'),
  REDIS_URL: url.default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default('socialsync:'),

  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('socialsync'),

  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: optionalString,
  // Browsers are sent there: only a web address, never e.g. a javascript: URL.
  CONNECT_RETURN_URL: optionalString.pipe(
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  ),
  TRUST_PROXY: z.string().default('false'),
  MAX_BODY_BYTES: positiveInt.default(100 * 1024),
  API_SHUTDOWN_GRACE_SECONDS: positiveInt.default(10),

  ENCRYPTION_KEY: hex64,
  ENCRYPTION_PREVIOUS_KEYS: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean),
    )
    .pipe(z.array(hex64)),
  ENCRYPTION_IV: optionalString,
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters'),
  JWT_TTL_SECONDS: positiveInt.default(3600),
  CRON_JOB_SECRET: z.string().min(16, 'must be at least 16 characters'),

  INSTAGRAM_APP_ID: z.string().min(1),
  INSTAGRAM_APP_SECRET: z.string().min(1),
  INSTAGRAM_REDIRECT_URI: url,
  INSTAGRAM_GRAPH_URL: url.default('https://graph.instagram.com'),
  INSTAGRAM_OAUTH_URL: url.default('https://api.instagram.com'),
  INSTAGRAM_AUTHORIZE_URL: url.default('https://www.instagram.com/oauth/authorize'),
  INSTAGRAM_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/)
    .default('v25.0'),
  TIKTOK_CLIENT_KEY: z.string().min(1),
  TIKTOK_CLIENT_SECRET: z.string().min(1),
  TIKTOK_REDIRECT_URI: url,
  TIKTOK_API_URL: url.default('https://open.tiktokapis.com'),
  TIKTOK_AUTHORIZE_URL: url.default('https://www.tiktok.com/v2/auth/authorize/'),
  PLATFORM_TIMEOUT_MS: positiveInt.default(10_000),

  SCHEDULE_TIMEZONE: z
    .string()
    .default('UTC')
    .refine(isValidTimeZone, 'must be an IANA time zone, e.g. "UTC" or "Europe/Paris"'),
  TOKEN_REFRESH_CRON: cron.default('0 2 * * *'),
  DATA_SYNC_CRON: cron.default('0 3 * * *'),
  SCHEDULE_CATCHUP_WINDOW_MINUTES: positiveInt.default(60),

  REFRESH_WINDOW_DAYS: positiveInt.default(7),
  REFRESH_CONCURRENCY: positiveInt.default(10),
  REFRESH_JIT_MARGIN_MINUTES: positiveInt.default(10),
  REFRESH_WARN_DAYS: positiveInt.default(7),
  REFRESH_SPACING_MS: nonNegativeInt.default(100),

  SYNC_MIN_AGE_HOURS: z.coerce.number().min(0).default(12),
  SYNC_POSTS_LIMIT: positiveInt.max(100).default(25),
  SYNC_CONCURRENCY: positiveInt.default(50),
  SYNC_MIN_SPACING_MS: nonNegativeInt.default(0),
  TIKTOK_REQUESTS_PER_MINUTE: positiveInt.default(600),
  INSTAGRAM_REQUESTS_PER_MINUTE: nonNegativeInt.default(0),
  INSTAGRAM_USAGE_SLOWDOWN_PERCENT: z.coerce.number().min(1).max(100).default(90),

  NOTIFY_WEBHOOK_URL: optionalString.pipe(url.optional()),
  NOTIFY_WEBHOOK_SECRET: optionalString,
  WEBHOOK_EVENTS: eventKinds,
  WEBHOOK_CONCURRENCY: positiveInt.max(100).default(10),
  STALE_AFTER_HOURS: z.coerce.number().positive().default(36),
  SMTP_URL: optionalString,
  MAIL_FROM: z.string().default('socialsync <no-reply@socialsync.local>'),
  MAIL_OUTBOX_FILE: optionalString,

  RATE_LIMIT_GENERAL: rateLimitPolicy.default({ max: 100, windowSeconds: 900 }),
  RATE_LIMIT_AUTH: rateLimitPolicy.default({ max: 5, windowSeconds: 900 }),
  RATE_LIMIT_SOCIAL: rateLimitPolicy.default({ max: 10, windowSeconds: 900 }),
  RATE_LIMIT_UPLOAD: rateLimitPolicy.default({ max: 20, windowSeconds: 3600 }),
  RATE_LIMIT_CHAT: rateLimitPolicy.default({ max: 100, windowSeconds: 300 }),
  RATE_LIMIT_CONNECTION: rateLimitPolicy.default({ max: 50, windowSeconds: 86400 }),
  RATE_LIMIT_REDIS_TIMEOUT_MS: positiveInt.default(500),
  RATE_LIMIT_MEMORY_FALLBACK: booleanFlag,

  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  // Like HOST: loopback unless a deployment opens it (docker-compose sets 0.0.0.0 inside its containers).
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_SHUTDOWN_GRACE_SECONDS: positiveInt.default(30),
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt.default(100),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: positiveInt.default(40),
});

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

type Env = z.output<typeof envSchema>;

/** The environment as the service sees it: the variables above, grouped by the part that reads them. */
const configSchema = envSchema.transform(toConfig);

/** The parsed, frozen configuration every part of the service receives. */
export type Config = DeepReadonly<z.output<typeof configSchema>>;
export type RateLimitPolicyConfig = Config['rateLimits']['general'];

/** Every variable the service reads (.env.example documents each one; a test keeps them in step). */
export const ENV_VARIABLES = Object.keys(envSchema.shape) as (keyof Env)[];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = issue.path.join('.') || '(environment)';
      const message =
        issue.code === 'invalid_type' && env[variable] === undefined ? 'is required' : issue.message;
      return `${variable}: ${message}`;
    });
    throw new ConfigError(problems);
  }
  return deepFreeze(parsed.data);
}

/**
 * Only the Temporal settings, for operator commands that talk to Temporal alone (`npm run admin -- sync`):
 * they must run against `npm run dev` or production without the service's secrets in the environment.
 */
export function loadTemporalSettings(env: NodeJS.ProcessEnv = process.env): Config['temporal'] {
  const parsed = envSchema
    .pick({ TEMPORAL_ADDRESS: true, TEMPORAL_NAMESPACE: true, TEMPORAL_TASK_QUEUE: true })
    .safeParse(env);
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  const e = parsed.data;
  return Object.freeze({
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
  });
}

function toConfig(e: Env) {
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
    },
    http: {
      host: e.HOST,
      port: e.PORT,
      publicUrl: e.PUBLIC_URL,
      /** Where the OAuth callback sends the browser back (?status=...); unset: it answers a small page. */
      connectReturnUrl: e.CONNECT_RETURN_URL,
      trustProxy: e.TRUST_PROXY,
      maxBodyBytes: e.MAX_BODY_BYTES,
      shutdownGraceSeconds: e.API_SHUTDOWN_GRACE_SECONDS,
    },
    encryption: { key: e.ENCRYPTION_KEY.toLowerCase(), previousKeys: e.ENCRYPTION_PREVIOUS_KEYS },
    /** Set when the unsafe ENCRYPTION_IV of older deployments is still configured: it is ignored. */
    ignoredEncryptionIv: e.ENCRYPTION_IV !== undefined,
    auth: { jwtSecret: e.JWT_SECRET, jwtTtlSeconds: e.JWT_TTL_SECONDS, cronJobSecret: e.CRON_JOB_SECRET },
    instagram: {
      appId: e.INSTAGRAM_APP_ID,
      appSecret: e.INSTAGRAM_APP_SECRET,
      redirectUri: e.INSTAGRAM_REDIRECT_URI,
      graphUrl: stripTrailingSlash(e.INSTAGRAM_GRAPH_URL),
      oauthUrl: stripTrailingSlash(e.INSTAGRAM_OAUTH_URL),
      authorizeUrl: e.INSTAGRAM_AUTHORIZE_URL,
      apiVersion: e.INSTAGRAM_API_VERSION,
    },
    tiktok: {
      clientKey: e.TIKTOK_CLIENT_KEY,
      clientSecret: e.TIKTOK_CLIENT_SECRET,
      redirectUri: e.TIKTOK_REDIRECT_URI,
      apiUrl: stripTrailingSlash(e.TIKTOK_API_URL),
      authorizeUrl: e.TIKTOK_AUTHORIZE_URL,
    },
    platformTimeoutMs: e.PLATFORM_TIMEOUT_MS,
    schedules: {
      timezone: e.SCHEDULE_TIMEZONE,
      tokenRefreshCron: e.TOKEN_REFRESH_CRON,
      dataSyncCron: e.DATA_SYNC_CRON,
      catchupWindowMinutes: e.SCHEDULE_CATCHUP_WINDOW_MINUTES,
    },
    refresh: {
      windowDays: e.REFRESH_WINDOW_DAYS,
      concurrency: e.REFRESH_CONCURRENCY,
      jitMarginMinutes: e.REFRESH_JIT_MARGIN_MINUTES,
      warnDays: e.REFRESH_WARN_DAYS,
      /** Durable timer between two refresh dispatches of a fleet run. */
      spacingMs: e.REFRESH_SPACING_MS,
    },
    sync: {
      minAgeHours: e.SYNC_MIN_AGE_HOURS,
      postsLimit: e.SYNC_POSTS_LIMIT,
      concurrency: e.SYNC_CONCURRENCY,
      minSpacingMs: e.SYNC_MIN_SPACING_MS,
      tiktokRequestsPerMinute: e.TIKTOK_REQUESTS_PER_MINUTE,
      /** 0 means no app-wide cap: Instagram budgets are per account (BUC) and watched through usage headers. */
      instagramRequestsPerMinute: e.INSTAGRAM_REQUESTS_PER_MINUTE,
      instagramUsageSlowdownPercent: e.INSTAGRAM_USAGE_SLOWDOWN_PERCENT,
    },
    notifications: { webhookUrl: e.NOTIFY_WEBHOOK_URL, webhookSecret: e.NOTIFY_WEBHOOK_SECRET },
    /** Data events (src/webhooks): sent to notifications.webhookUrl, signed with its secret. */
    webhooks: { events: e.WEBHOOK_EVENTS, concurrency: e.WEBHOOK_CONCURRENCY },
    /** An active account whose data is older than this is stale (metrics, admin stats, fleet event). */
    freshness: { staleAfterHours: e.STALE_AFTER_HOURS },
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      outboxFile: e.MAIL_OUTBOX_FILE ?? `${e.DATA_DIR}/mail-outbox.jsonl`,
    },
    rateLimits: {
      general: e.RATE_LIMIT_GENERAL,
      auth: e.RATE_LIMIT_AUTH,
      social: e.RATE_LIMIT_SOCIAL,
      upload: e.RATE_LIMIT_UPLOAD,
      chat: e.RATE_LIMIT_CHAT,
      connection: e.RATE_LIMIT_CONNECTION,
      redisTimeoutMs: e.RATE_LIMIT_REDIS_TIMEOUT_MS,
      /** Forced in-process store (single API process only); set by `npm run dev` when no Redis answers. */
      memoryFallback: e.RATE_LIMIT_MEMORY_FALLBACK,
    },
    worker: {
      metricsPort: e.WORKER_METRICS_PORT,
      metricsHost: e.WORKER_METRICS_HOST,
      shutdownGraceSeconds: e.WORKER_SHUTDOWN_GRACE_SECONDS,
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTasks: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    },
  };
}

function stripTrailingSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

type DeepReadonly<T> = T extends readonly (infer Item)[]
  ? readonly DeepReadonly<Item>[]
  : T extends object
    ? { readonly [Key in keyof T]: DeepReadonly<T[Key]> }
    : T;
