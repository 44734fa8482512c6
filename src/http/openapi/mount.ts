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

/**
 * Per route: authenticate, then its own limiter (per-user policies need the user), validate, handle. A
 * browser route is identified by what it carries (the OAuth state), so its handler applies the limiter
 * itself, then, and writes its own answer.
 */
export function mountRoutes(
  router: Router<AppState>,
  routes: readonly RouteDefinition[],
  deps: MountDeps,
): void {
  for (const route of routes) {
    const chain: Step[] = [];
    const limiter = route.rateLimit ? (deps.limiters[route.rateLimit] as Step) : null;
    if (route.auth !== 'none') chain.push(deps.requireAuth(route.auth));
    if (limiter && !route.browser) chain.push(limiter);
    chain.push(async (appCtx) => {
      const input = {
        params: parse(route.params, appCtx.params, 'params'),
        query: parse(route.query, appCtx.query, 'query'),
        body: parse(route.body, appCtx.request.body, 'body'),
        withinRateLimit: async () => !(limiter && route.browser) || (await passes(limiter, appCtx)),
      };
      const body = await route.handler(appCtx, input as never);
      if (route.browser) return;
      appCtx.status = route.success.status;
      appCtx.body = body ?? null;
    });
    router.register(route.path, [route.method.toUpperCase()], chain as never);
  }
}

/** Runs a limiter as a check: whether it let the request through (a refusal has set the 429 answer). */
async function passes(limiter: Step, ctx: AppContext): Promise<boolean> {
  let passed = false;
  await limiter(ctx, async () => {
    passed = true;
  });
  return passed;
}

function parse(schema: z.ZodType | undefined, value: unknown, location: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, location);
  return result.data;
}
