import type { Context } from 'koa';
import type { PolicyName } from './policies';

/**
 * IETF RateLimit header fields, draft-ietf-httpapi-ratelimit-headers-11 (May 2026): both are Structured
 * Field Lists whose items are quoted policy names with parameters, e.g.
 *   RateLimit-Policy: "general";q=100;w=900, "auth";q=5;w=900
 *   RateLimit: "general";r=97;t=840, "auth";r=4;t=900
 * q = quota, w = window (s), r = remaining quota, t = seconds within which no more than r may be used.
 * Every limiter a request passes appends its own item.
 */
export function appendRateLimitHeaders(
  ctx: Context,
  policy: PolicyName,
  quota: { max: number; windowSeconds: number; remaining: number; resetInSeconds: number },
): void {
  appendListItem(ctx, 'RateLimit-Policy', `"${policy}";q=${quota.max};w=${quota.windowSeconds}`);
  appendListItem(
    ctx,
    'RateLimit',
    `"${policy}";r=${Math.max(0, quota.remaining)};t=${Math.max(0, quota.resetInSeconds)}`,
  );
}

function appendListItem(ctx: Context, header: string, item: string): void {
  const existing = ctx.response.get(header);
  ctx.set(header, existing ? `${existing}, ${item}` : item);
}
