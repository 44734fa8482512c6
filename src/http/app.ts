import Koa from 'koa';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { ReadinessChecks } from './readiness';
import { createHealthRouter } from './routes/health';

export interface AppDeps {
  config: Config;
  logger: Logger;
  readiness: ReadinessChecks;
}

/** Builds the Koa app without listening: start-api.ts listens, tests drive `app.callback()`. */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.proxy = deps.config.http.trustProxy !== 'false';
  const health = createHealthRouter(deps.readiness);
  app.use(health.routes()).use(health.allowedMethods());
  return app;
}
