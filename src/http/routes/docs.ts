import Router from '@koa/router';
import type { Config } from '../../config';
import type { AppState } from '../context';
import type { ApiMetrics } from '../metrics';
import { buildOpenApiDocument } from '../openapi/document';
import { createExplorer, EXPLORER_PATH } from '../openapi/explorer';
import type { RouteDefinition } from '../openapi/route';

/** The package files change only with the package version; an hour keeps reloads cheap and upgrades visible. */
const ASSET_MAX_AGE_SECONDS = 3600;

/**
 * The OpenAPI document (served by the API router at /api/v1/openapi.json, under the general limit), GET /docs
 * (the Swagger UI explorer reading that document, with its files under /docs/) and GET /metrics (Prometheus).
 * The document is built once: routes and config do not change while the process runs.
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
  const explorer = createExplorer({
    title: (document.info as { title: string }).title,
    publicUrl: config.http.publicUrl,
  });
  const router = new Router<AppState>();
  router.get(EXPLORER_PATH, (ctx) => {
    ctx.set('Content-Security-Policy', explorer.contentSecurityPolicy);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = explorer.page;
  });
  router.get(`${EXPLORER_PATH}/:file`, async (ctx) => {
    const asset = explorer.asset(ctx.params.file);
    if (!asset) return; // falls through to the 404 ROUTE_NOT_FOUND answer
    ctx.set('Cache-Control', `public, max-age=${ASSET_MAX_AGE_SECONDS}`);
    ctx.set('Vary', 'Accept-Encoding');
    ctx.type = asset.type;
    if (ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = await asset.gzipped();
    } else {
      ctx.body = asset.body;
    }
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return { router, document };
}
