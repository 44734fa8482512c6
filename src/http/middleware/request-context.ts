import { randomUUID } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Next } from 'koa';
import type { Logger } from 'pino';
import type { AppContext } from '../context';
import type { ApiMetrics } from '../metrics';
import type { ClientIpResolver } from './client-ip';

/** An incoming X-Request-Id is kept when it looks like an id (so a proxy's id threads through), else replaced. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export interface RequestContextDeps {
  logger: Logger;
  orm: MikroORM;
  metrics: ApiMetrics;
  clientIp: ClientIpResolver;
}

/**
 * First middleware: request id (also in X-Request-Id and every log line), client address, one
 * EntityManager (forked when first used), then the access log line and the latency histogram once the answer
 * is known.
 */
export function requestContext({ logger, orm, metrics, clientIp }: RequestContextDeps) {
  return async function requestContextMiddleware(ctx: AppContext, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    const incoming = ctx.get('X-Request-Id');
    const requestId = ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.set('X-Request-Id', requestId);
    ctx.state.requestId = requestId;
    ctx.state.clientIp = clientIp(ctx);
    ctx.state.log = logger.child({ requestId });
    // Forked on first use: /healthz, refused and rate-limited requests never touch the database.
    let em: EntityManager | undefined;
    Object.defineProperty(ctx.state, 'em', { get: () => (em ??= orm.em.fork()), configurable: true });
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(ctx);
      metrics.httpDuration.observe({ method: ctx.method, route, status: String(ctx.status) }, seconds);
      ctx.state.log.info(
        {
          method: ctx.method,
          route,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(seconds * 1000),
          ip: ctx.state.clientIp,
          userId: ctx.state.user?.id,
        },
        'request',
      );
    }
  };
}

/** The route template, never the raw path: ids in paths would explode the metric's cardinality. */
function routeLabel(ctx: AppContext): string {
  const matched = ctx._matchedRoute;
  return typeof matched === 'string' ? matched : 'unmatched';
}
