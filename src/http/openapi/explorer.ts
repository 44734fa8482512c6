import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { API_BASE_PATH } from './document';

/**
 * The API explorer at /docs: Swagger UI (the `swagger-ui-dist` package) served from the installed package's
 * own files, so the page works offline and loads nothing from a CDN. It reads /api/v1/openapi.json; its
 * "Authorize" box takes a Bearer token and "Try it out" calls this same server (the document's server is
 * `/`, or PUBLIC_URL when set).
 */
export const EXPLORER_PATH = '/docs';

/** The package files the page loads, with their types; nothing else of node_modules is reachable. */
const PACKAGE_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const INITIALIZER = 'explorer.js';

/**
 * Our settings for Swagger UI, as a script file rather than inline so the page's Content-Security-Policy can
 * forbid inline scripts. validatorUrl null: Swagger UI would otherwise send the document's address to
 * validator.swagger.io. persistAuthorization false: a pasted token is not kept in localStorage.
 */
const INITIALIZER_SOURCE = `window.ui = SwaggerUIBundle(${JSON.stringify(
  {
    url: `${API_BASE_PATH}/openapi.json`,
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
  },
  null,
  2,
)});\n`;

export interface ExplorerAsset {
  type: string;
  body: Buffer;
  /** The same bytes gzip-compressed, made on first use (the bundle is ~1.5 MB, ~0.4 MB gzipped). */
  gzipped(): Promise<Buffer>;
}

export interface Explorer {
  page: string;
  /** The page's Content-Security-Policy: same-origin scripts only, calls to this server (or PUBLIC_URL). */
  contentSecurityPolicy: string;
  /** A file under /docs/ by name, or undefined for anything else. */
  asset(name: string): ExplorerAsset | undefined;
}

export function createExplorer({ title, publicUrl }: { title: string; publicUrl?: string }): Explorer {
  const packageDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const assets = new Map<string, ExplorerAsset>();
  const load = (name: string): ExplorerAsset | undefined => {
    if (name === INITIALIZER)
      return makeAsset('text/javascript; charset=utf-8', Buffer.from(INITIALIZER_SOURCE));
    const type = PACKAGE_ASSETS[name];
    return type ? makeAsset(type, fs.readFileSync(path.join(packageDir, name))) : undefined;
  };
  const connectSources = ["'self'", ...(publicUrl ? [new URL(publicUrl).origin] : [])];
  return {
    page: renderPage(title),
    contentSecurityPolicy: [
      "default-src 'none'",
      "script-src 'self'",
      // Swagger UI sets style attributes from script (collapsing sections, the auth dialog).
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      `connect-src ${connectSources.join(' ')}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'none'",
    ].join('; '),
    asset(name) {
      if (!assets.has(name)) {
        const asset = load(name);
        if (!asset) return undefined;
        assets.set(name, asset);
      }
      return assets.get(name);
    },
  };
}

function makeAsset(type: string, body: Buffer): ExplorerAsset {
  let compressed: Promise<Buffer> | null = null;
  return { type, body, gzipped: () => (compressed ??= promisify(gzip)(body)) };
}

function renderPage(title: string): string {
  const base = EXPLORER_PATH;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${base}/swagger-ui.css">
<link rel="icon" type="image/png" href="${base}/favicon-32x32.png">
</head>
<body>
<noscript>This explorer needs JavaScript. The OpenAPI document: <a href="${API_BASE_PATH}/openapi.json">${API_BASE_PATH}/openapi.json</a>.</noscript>
<div id="swagger-ui"></div>
<script src="${base}/swagger-ui-bundle.js"></script>
<script src="${base}/${INITIALIZER}"></script>
</body>
</html>
`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
