import Router from '@koa/router';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import Koa from 'koa';
import type { Logger } from 'pino';
import { SCHEDULE_IDS } from '../../workflows/contract';
import { createAuthService } from '../auth/auth-service';
import type { Mailer } from '../auth/mailer';
import { createTokenService, type TokenService } from '../auth/tokens';
import type { Config } from '../config';
import type { TokenCipher } from '../crypto/token-cipher';
import type { Platform, PlatformClient } from '../platforms/types';
import { createScheduleAdmin } from '../temporal/schedule-admin';
import { createWorkflowClient } from '../temporal/workflow-client';
import type { AppState } from './context';
import { createApiMetrics, type ApiMetrics } from './metrics';
import { createAuthMiddleware } from './middleware/authenticate';
import { jsonBody } from './middleware/body';
import { createClientIpResolver } from './middleware/client-ip';
import { errorHandler } from './middleware/errors';
import { requestContext } from './middleware/request-context';
import { API_BASE_PATH } from './openapi/document';
import { mountRoutes } from './openapi/mount';
import type { RouteDefinition } from './openapi/route';
import { createRateLimiters } from './rate-limit';
import type { ReadinessChecks } from './readiness';
import { accountRoutes } from './routes/accounts';
import { adminRoutes } from './routes/admin';
import { authRoutes } from './routes/auth';
import { createDocsRouter } from './routes/docs';
import { createHealthRouter } from './routes/health';
import { notificationRoutes } from './routes/notifications';
import { oauthCallbackRoutes } from './routes/oauth-callback';
import { workflowRoutes } from './routes/workflows';
import { createAccountsService } from './services/accounts-service';

export interface AppDeps {
  config: Config;
  logger: Logger;
  readiness: ReadinessChecks;
  orm: MikroORM;
  /** The limiters' own Redis client (no offline queue; the limiters bound their wait); null: in-process store. */
  rateLimitRedis: Redis | null;
  /** The process's one Temporal client. */
  temporal: Client;
  platforms: Record<Platform, PlatformClient>;
  cipher: TokenCipher;
  mailer: Mailer;
  /** Defaults to a fresh registry; pass one to share it. */
  metrics?: ApiMetrics;
  /** Schedules the admin routes show and change; default SCHEDULE_IDS. */
  scheduleIds?: readonly string[];
}

/** Builds the Koa app without listening or opening connections: start-api.ts does both, tests drive `app.callback()`. */
export function createApp(deps: AppDeps): Koa<AppState> {
  const { config, logger } = deps;
  const app = new Koa<AppState>();
  app.proxy = config.http.trustProxy !== 'false';
  const metrics = deps.metrics ?? createApiMetrics();
  const limiters = createRateLimiters({
    rateLimits: config.rateLimits,
    redis: deps.rateLimitRedis,
    keyPrefix: config.redis.keyPrefix,
    metrics,
    logger,
  });
  const tokens = createTokenService({ secret: config.auth.jwtSecret, ttlSeconds: config.auth.jwtTtlSeconds });
  const routes = apiRoutes(deps, tokens);
  const requireAuth = createAuthMiddleware({ tokens, cronSecret: config.auth.cronJobSecret });
  const api = new Router<AppState>({ prefix: API_BASE_PATH });
  mountRoutes(api, routes, { requireAuth, limiters });
  const docs = createDocsRouter({ routes, config, metrics });
  api.get('/openapi.json', (ctx) => {
    ctx.body = docs.document;
  });
  const health = createHealthRouter(deps.readiness);

  app.use(
    requestContext({
      logger,
      orm: deps.orm,
      metrics,
      clientIp: createClientIpResolver(config.http.trustProxy),
    }),
  );
  app.use(errorHandler({ probeDatabase: deps.readiness.postgres }));
  app.use(health.routes());
  app.use(docs.router.routes());
  app.use((ctx, next) => (isApiPath(ctx.path) ? limiters.general(ctx, next) : next()));
  app.use(jsonBody({ maxBodyBytes: config.http.maxBodyBytes }));
  app.use(api.routes());
  app.use(api.allowedMethods());
  return app;
}

function apiRoutes(deps: AppDeps, tokens: TokenService): RouteDefinition[] {
  const { config } = deps;
  const auth = createAuthService({ tokens, mailer: deps.mailer, otpSecret: config.auth.jwtSecret });
  const accounts = createAccountsService({ platforms: deps.platforms, cipher: deps.cipher, tokens });
  const workflows = createWorkflowClient({ client: deps.temporal, taskQueue: config.temporal.taskQueue });
  const schedules = createScheduleAdmin({ client: deps.temporal });
  return [
    ...authRoutes(auth),
    ...accountRoutes(accounts),
    ...oauthCallbackRoutes(accounts, { returnUrl: config.http.connectReturnUrl }),
    ...notificationRoutes(),
    ...workflowRoutes(workflows),
    ...adminRoutes(workflows, schedules, deps.scheduleIds ?? Object.values(SCHEDULE_IDS), {
      staleAfterHours: config.freshness.staleAfterHours,
      webhooks: { configured: Boolean(config.notifications.webhookUrl), events: config.webhooks.events },
    }),
  ];
}

function isApiPath(path: string): boolean {
  return path === API_BASE_PATH || path.startsWith(`${API_BASE_PATH}/`);
}
