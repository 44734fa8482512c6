import type { z } from 'zod';
import type { ErrorCode } from '../../errors';
import type { AppContext } from '../context';
import type { AuthRequirement } from '../middleware/authenticate';
import type { PolicyName } from '../rate-limit';

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

/** One named example of the OpenAPI document; test/http/openapi.test.ts checks each against the route's schemas. */
export interface RouteExample {
  summary: string;
  value: unknown;
}

export interface RouteInput<P, Q, B> {
  params: Infer<P>;
  query: Infer<Q>;
  body: Infer<B>;
  /**
   * Browser routes apply their `rateLimit` themselves, once they know the caller: true when the request is
   * within it; false when refused (429 and its headers already set). Other routes: always true (applied
   * before the handler).
   */
  withinRateLimit(): Promise<boolean>;
}

/** One answer of a browser route, for the OpenAPI document. */
export interface BrowserResponse {
  description: string;
  /** What the Location header holds (a redirect). */
  location?: string;
  /** The answer is a small HTML page. */
  html?: boolean;
}

/**
 * One route, described once: the router validates with these schemas and the OpenAPI document is generated
 * from the very same ones, so the documentation cannot drift from what the API accepts.
 */
export interface RouteDefinition<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: 'get' | 'post' | 'delete';
  /** Relative to /api/v1, koa-router syntax (`/accounts/:id`). */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  auth: AuthRequirement;
  /** The route's own policy; `general` applies to every route anyway. */
  rateLimit?: PolicyName;
  params?: P;
  query?: Q;
  body?: B;
  success: { status: number; description: string; schema?: z.ZodType };
  /**
   * A route a browser lands on (the OAuth callback): the handler writes every answer itself, a redirect or a
   * small page, errors included, since a browser cannot read the JSON envelope; `responses` documents them
   * by status (`302`, `4XX`, ...).
   */
  browser?: { responses: Record<string, BrowserResponse> };
  /** Examples of the request body and of the success answer, by name; the first fills "Try it out". */
  examples?: { body?: Record<string, RouteExample>; response?: Record<string, RouteExample> };
  errors: ErrorCode[];
  handler(ctx: AppContext, input: RouteInput<P, Q, B>): Promise<unknown>;
}

export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(route: RouteDefinition<P, Q, B>): RouteDefinition {
  return route as unknown as RouteDefinition;
}
