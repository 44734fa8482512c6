import type { Env } from './env-schema';

/** The parsed, frozen configuration every part of the service receives (src/config.ts builds it). */
export interface Config {
  readonly env: Env['NODE_ENV'];
  readonly logLevel: Env['LOG_LEVEL'];
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly redis: { readonly url: string; readonly keyPrefix: string };
  readonly temporal: { readonly address: string; readonly namespace: string; readonly taskQueue: string };
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly publicUrl: string | undefined;
    readonly trustProxy: string;
    readonly maxBodyBytes: number;
    readonly shutdownGraceSeconds: number;
  };
  readonly encryption: { readonly key: string; readonly previousKeys: readonly string[] };
  /** Set when the unsafe ENCRYPTION_IV of the replaced design is still configured: it is ignored. */
  readonly ignoredEncryptionIv: boolean;
  readonly auth: {
    readonly jwtSecret: string;
    readonly jwtTtlSeconds: number;
    readonly cronJobSecret: string;
  };
  readonly instagram: {
    readonly appId: string;
    readonly appSecret: string;
    readonly redirectUri: string;
    readonly graphUrl: string;
    readonly oauthUrl: string;
    readonly authorizeUrl: string;
    readonly apiVersion: string;
  };
  readonly tiktok: {
    readonly clientKey: string;
    readonly clientSecret: string;
    readonly redirectUri: string;
    readonly apiUrl: string;
    readonly authorizeUrl: string;
  };
  readonly platformTimeoutMs: number;
  readonly schedules: {
    readonly timezone: string;
    readonly tokenRefreshCron: string;
    readonly dataSyncCron: string;
    readonly catchupWindowMinutes: number;
  };
  readonly refresh: {
    readonly windowDays: number;
    readonly concurrency: number;
    readonly jitMarginMinutes: number;
    readonly warnDays: number;
    /** Durable timer between two refresh dispatches of a fleet run. */
    readonly spacingMs: number;
  };
  readonly sync: {
    readonly minAgeHours: number;
    readonly postsLimit: number;
    readonly concurrency: number;
    readonly minSpacingMs: number;
    readonly tiktokRequestsPerMinute: number;
    /** 0 means no app-wide cap: Instagram budgets are per account (BUC) and watched through usage headers. */
    readonly instagramRequestsPerMinute: number;
    readonly instagramUsageSlowdownPercent: number;
  };
  readonly notifications: {
    readonly webhookUrl: string | undefined;
    readonly webhookSecret: string | undefined;
  };
  readonly mail: { readonly smtpUrl: string | undefined; readonly from: string; readonly outboxFile: string };
  readonly rateLimits: {
    readonly general: RateLimitPolicyConfig;
    readonly auth: RateLimitPolicyConfig;
    readonly social: RateLimitPolicyConfig;
    readonly upload: RateLimitPolicyConfig;
    readonly chat: RateLimitPolicyConfig;
    readonly connection: RateLimitPolicyConfig;
    readonly redisTimeoutMs: number;
    /** Forced in-process store (single API process only); set by `npm run dev` when no Redis answers. */
    readonly memoryFallback: boolean;
  };
  readonly worker: {
    readonly metricsPort: number;
    readonly shutdownGraceSeconds: number;
    readonly maxConcurrentActivities: number;
    readonly maxConcurrentWorkflowTasks: number;
  };
}

export interface RateLimitPolicyConfig {
  readonly max: number;
  readonly windowSeconds: number;
}
