import { envSchema, type Env } from './config/env-schema';
import type { Config } from './config/types';

/**
 * The only reader of process.env (architecture.md). `loadConfig(env)` parses every variable once, lists
 * every problem in one error, and returns a frozen object that is passed down explicitly.
 * A new variable goes into envSchema (config/env-schema.ts), Config (config/types.ts), toConfig below and
 * .env.example.
 */

export type { Env } from './config/env-schema';
export type { Config, RateLimitPolicyConfig } from './config/types';

/** Every variable the service reads (.env.example documents each one; a test keeps them in step). */
export const ENV_VARIABLES = Object.keys(envSchema.shape) as (keyof Env)[];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = issue.path.join('.') || '(environment)';
      const message =
        issue.code === 'invalid_type' && env[variable] === undefined ? 'is required' : issue.message;
      return `${variable}: ${message}`;
    });
    throw new ConfigError(problems);
  }
  return deepFreeze(toConfig(parsed.data));
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

function toConfig(e: Env): Config {
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
      trustProxy: e.TRUST_PROXY,
      maxBodyBytes: e.MAX_BODY_BYTES,
      shutdownGraceSeconds: e.API_SHUTDOWN_GRACE_SECONDS,
    },
    encryption: { key: e.ENCRYPTION_KEY.toLowerCase(), previousKeys: e.ENCRYPTION_PREVIOUS_KEYS },
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
      spacingMs: e.REFRESH_SPACING_MS,
    },
    sync: {
      minAgeHours: e.SYNC_MIN_AGE_HOURS,
      postsLimit: e.SYNC_POSTS_LIMIT,
      concurrency: e.SYNC_CONCURRENCY,
      minSpacingMs: e.SYNC_MIN_SPACING_MS,
      tiktokRequestsPerMinute: e.TIKTOK_REQUESTS_PER_MINUTE,
      instagramRequestsPerMinute: e.INSTAGRAM_REQUESTS_PER_MINUTE,
      instagramUsageSlowdownPercent: e.INSTAGRAM_USAGE_SLOWDOWN_PERCENT,
    },
    notifications: { webhookUrl: e.NOTIFY_WEBHOOK_URL, webhookSecret: e.NOTIFY_WEBHOOK_SECRET },
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
      memoryFallback: e.RATE_LIMIT_MEMORY_FALLBACK,
    },
    worker: {
      metricsPort: e.WORKER_METRICS_PORT,
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
