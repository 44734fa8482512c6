import type Router from '@koa/router';
import type { Next } from 'koa';
import type { z } from 'zod';
import type { AppContext, AppState } from '../context';
import type { AuthRequirement } from '../middleware/authenticate';
import { validationError } from '../middleware/errors';
import type { RateLimiters } from '../rate-limit';
import type { RouteDefinition } from './route';

type Step = (ctx: AppContext, next: Next) => unknown;

export interface MountDeps {
  requireAuth(requirement: AuthRequirement): Step;
  limiters: RateLimiters;
}

/** Per route: authenticate, then its own limiter (per-user policies need the user), validate, handle. */
export function mountRoutes(
  router: Router<AppState>,
  routes: readonly RouteDefinition[],
  deps: MountDeps,
): void {
  for (const route of routes) {
    const chain: Step[] = [];
    if (route.auth !== 'none') chain.push(deps.requireAuth(route.auth));
    if (route.rateLimit) chain.push(deps.limiters[route.rateLimit] as Step);
    chain.push(async (appCtx) => {
      const input = {
        params: parse(route.params, appCtx.params, 'params'),
        query: parse(route.query, appCtx.query, 'query'),
        body: parse(route.body, appCtx.request.body, 'body'),
      };
      const body = await route.handler(appCtx, input as never);
      appCtx.status = route.success.status;
      appCtx.body = body ?? null;
    });
    router.register(route.path, [route.method.toUpperCase()], chain as never);
  }
}

function parse(schema: z.ZodType | undefined, value: unknown, location: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, location);
  return result.data;
}
