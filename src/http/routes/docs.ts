import Router from '@koa/router';
import type { Config } from '../../config';
import type { AppState } from '../context';
import type { ApiMetrics } from '../metrics';
import { buildOpenApiDocument } from '../openapi/document';
import { renderDocsPage } from '../openapi/docs-page';
import type { RouteDefinition } from '../openapi/route';
import { describeWindow, POLICY_BEHAVIOUR, POLICY_NAMES } from '../rate-limit/policies';

/**
 * The OpenAPI document (served by the API router at /api/v1/openapi.json, under the general limit), GET /docs
 * (HTML rendered from the same document) and GET /metrics (Prometheus). The document is built once: routes and config do not change while the process runs.
 */
export function createDocsRouter({
  routes,
  config,
  metrics,
}: {
  routes: readonly RouteDefinition[];
  config: Config;
  metrics: ApiMetrics;
}) {
  const document = buildOpenApiDocument({
    routes,
    rateLimits: config.rateLimits,
    serverUrl: config.http.publicUrl,
  });
  const policies = POLICY_NAMES.map((name) => ({
    name,
    limit: `${config.rateLimits[name].max} per ${describeWindow(config.rateLimits[name].windowSeconds)}`,
    key: POLICY_BEHAVIOUR[name].key === 'ip' ? 'client IP' : 'user id',
    appliesTo: POLICY_BEHAVIOUR[name].appliesTo,
  }));
  const page = renderDocsPage(document, policies);
  const router = new Router<AppState>();
  router.get('/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page;
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return { router, document };
}
