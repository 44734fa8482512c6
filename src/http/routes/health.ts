import Router from '@koa/router';
import { findUnavailable, type ReadinessChecks } from '../readiness';

/** Liveness (the process answers) and readiness (PostgreSQL, Redis and Temporal answer). */
export function createHealthRouter(checks: ReadinessChecks): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const unavailable = await findUnavailable(checks);
    ctx.status = unavailable.length ? 503 : 200;
    ctx.body = unavailable.length
      ? {
          status: 'unavailable',
          error: 'SERVICE_UNAVAILABLE',
          message: `unavailable: ${unavailable.join(', ')}`,
          unavailable,
        }
      : { status: 'ready', checks: Object.keys(checks) };
  });
  return router;
}
