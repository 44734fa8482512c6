import { ERROR_CATALOGUE } from '../../errors';

type Json = Record<string, unknown>;

interface PolicyRow {
  name: string;
  limit: string;
  key: string;
  appliesTo: string;
}

/**
 * A readable, self-contained page (no scripts, no CDN) rendered from the same OpenAPI document that
 * /api/v1/openapi.json serves: every operation with its auth, limits, parameters, body and answers.
 */
export function renderDocsPage(document: Json, policies: PolicyRow[]): string {
  const info = document.info as Json;
  const paths = document.paths as Record<string, Record<string, Json>>;
  const operations = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  );
  const tags = [...new Set(operations.map(({ op }) => (op.tags as string[])[0]))];
  const sections = tags.map((tag) => {
    const items = operations.filter(({ op }) => (op.tags as string[])[0] === tag).map(renderOperation);
    return `<section><h2 id="${esc(tag)}">${esc(tag)}</h2>${items.join('\n')}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(String(info.title))}</title><style>${STYLE}</style></head>
<body><main>
<h1>${esc(String(info.title))} <small>v${esc(String(info.version))}</small></h1>
<p>${esc(String(info.description))}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1). Authenticate with
<code>Authorization: Bearer &lt;token&gt;</code> from login or verify-otp; admin routes also accept
<code>X-Cron-Secret</code>.</p>
<nav>${tags.map((tag) => `<a href="#${esc(tag)}">${esc(tag)}</a>`).join(' · ')} · <a href="#errors">errors</a> · <a href="#limits">rate limits</a></nav>
${sections.join('\n')}
<section><h2 id="limits">Rate limits</h2>${renderPolicies(policies)}
<p>A refusal is <code>429</code> with <code>Retry-After</code> (whole seconds, at least 1) and
<code>{"error":"RATE_LIMIT_EXCEEDED","message":"Too many requests. Please try again later.","retryAfter":&lt;s&gt;}</code>.
Every limited answer carries <code>RateLimit-Policy</code> and <code>RateLimit</code> (IETF draft syntax, e.g.
<code>"general";q=100;w=900</code> and <code>"general";r=97;t=840</code>) and <code>X-RateLimit-Limit/Remaining/Reset</code>.</p></section>
<section><h2 id="errors">Error codes</h2>${renderErrorCodes()}</section>
</main></body></html>`;
}

function renderOperation({ path, method, op }: { path: string; method: string; op: Json }): string {
  const security =
    (op.security as Json[]).length === 0
      ? 'none'
      : (op.security as Json[]).map((s) => Object.keys(s)[0]).join(' or ');
  const parameters = (op.parameters as Json[] | undefined) ?? [];
  const body = op.requestBody as Json | undefined;
  const responses = op.responses as Record<string, Json>;
  return `<article><h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(String(op.summary))}</p>${op.description ? `<p class="d">${esc(String(op.description))}</p>` : ''}
<p class="meta">auth: <b>${esc(security)}</b></p>
${
  parameters.length
    ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>${parameters
        .map(
          (p) =>
            `<tr><td><code>${esc(String(p.name))}</code></td><td>${esc(String(p.in))}</td><td>${p.required ? 'yes' : 'no'}</td><td><code>${esc(JSON.stringify(readable(p.schema)))}</code></td></tr>`,
        )
        .join('')}</table>`
    : ''
}
${body ? `<h4>Body (application/json)</h4><pre>${esc(JSON.stringify(schemaOf(body), null, 2))}</pre>` : ''}
<h4>Responses</h4><table>${Object.entries(responses)
    .map(
      ([status, response]) => `<tr><td>${esc(status)}</td><td>${esc(String(response.description))}</td></tr>`,
    )
    .join('')}</table>
${successSchema(responses)}</article>`;
}

function successSchema(responses: Record<string, Json>): string {
  const [status, response] = Object.entries(responses)[0];
  const schema = schemaOf(response);
  return schema
    ? `<details><summary>${esc(status)} body</summary><pre>${esc(JSON.stringify(schema, null, 2))}</pre></details>`
    : '';
}

function schemaOf(holder: Json): unknown {
  const content = holder.content as Record<string, Json> | undefined;
  const schema = content?.['application/json']?.schema;
  return schema === undefined ? undefined : readable(schema);
}

/** For reading only: a `format` says what its generated regex spells out, and safe-integer bounds say nothing. */
function readable(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(readable);
  if (!schema || typeof schema !== 'object') return schema;
  const entries = Object.entries(schema as Json).filter(([key, value]) => {
    if (key === 'pattern' && 'format' in (schema as Json)) return false;
    return !((key === 'minimum' || key === 'maximum') && Math.abs(Number(value)) === Number.MAX_SAFE_INTEGER);
  });
  return Object.fromEntries(entries.map(([key, value]) => [key, readable(value)]));
}

function renderPolicies(policies: PolicyRow[]): string {
  const rows = policies.map(
    (p) =>
      `<tr><td>${esc(p.name)}</td><td>${esc(p.limit)}</td><td>${esc(p.key)}</td><td>${esc(p.appliesTo)}</td></tr>`,
  );
  return `<table><tr><th>policy</th><th>limit</th><th>key</th><th>applied to</th></tr>${rows.join('')}</table>`;
}

function renderErrorCodes(): string {
  const rows = Object.entries(ERROR_CATALOGUE).map(
    ([code, status]) => `<tr><td><code>${esc(code)}</code></td><td>${status}</td></tr>`,
  );
  return `<p>Every error: <code>{ "error": CODE, "message": "...", "details"?: ... }</code>; 5xx add <code>requestId</code> (also in <code>X-Request-Id</code>).</p><table><tr><th>code</th><th>HTTP</th></tr>${rows.join('')}</table>`;
}

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}main{max-width:960px;margin:auto;padding:1.5rem}
h1 small{font-weight:400;color:#667}h2{border-bottom:2px solid #dde;padding-top:1rem}article{background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
h3{margin:.4rem 0;font-size:1.05rem}.m{display:inline-block;min-width:4.2rem;text-align:center;border-radius:4px;color:#fff;font-size:.8rem;padding:.1rem .3rem}
.get{background:#2f7dd1}.post{background:#2e9d5b}.delete{background:#c2413b}.d,.meta{color:#4a5160}table{border-collapse:collapse;width:100%;margin:.3rem 0}
td,th{border:1px solid #e3e6ea;padding:.2rem .5rem;text-align:left;vertical-align:top}pre{background:#f3f5f8;padding:.5rem;overflow:auto;font-size:.8rem}code{font-size:.85rem}`;
