import fs from 'node:fs';
import { signUpVerified, startApiHarness, type ApiHarness, type TestUser } from '../helpers/api';

jest.setTimeout(120_000);

const EXPECTED_OPERATIONS = [
  'POST /api/v1/auth/signup/influencer',
  'POST /api/v1/auth/signup/salon',
  'POST /api/v1/auth/verify-otp',
  'POST /api/v1/auth/login',
  'GET /api/v1/accounts/{platform}/authorize-url',
  'POST /api/v1/accounts/{platform}/connect',
  'GET /api/v1/oauth/{platform}/callback',
  'GET /api/v1/accounts',
  'GET /api/v1/accounts/{id}',
  'GET /api/v1/accounts/{id}/posts',
  'GET /api/v1/accounts/{id}/history',
  'DELETE /api/v1/accounts/{id}',
  'GET /api/v1/notifications',
  'POST /api/v1/notifications/{id}/read',
  'POST /api/v1/instagram/sync',
  'POST /api/v1/tiktok/sync',
  'GET /api/v1/workflows/{workflowId}',
  'POST /api/v1/admin/refresh-tokens',
  'POST /api/v1/admin/sync-data',
  'GET /api/v1/admin/schedules',
  'POST /api/v1/admin/schedules/{id}/trigger',
  'POST /api/v1/admin/schedules/{id}/pause',
  'POST /api/v1/admin/schedules/{id}/unpause',
  'GET /api/v1/admin/stats',
  'GET /api/v1/admin/webhooks',
  'POST /api/v1/admin/webhooks/{id}/retry',
];

describe('documentation, metrics, request ids and 500s', () => {
  let h: ApiHarness;
  let user: TestUser;
  beforeAll(async () => {
    // The configured defaults, so the documented numbers are the real ones (this file stays far below them).
    const defaults = {
      RATE_LIMIT_GENERAL: undefined,
      RATE_LIMIT_AUTH: undefined,
      RATE_LIMIT_SOCIAL: undefined,
      RATE_LIMIT_CONNECTION: undefined,
    };
    h = await startApiHarness({ label: 'docs', env: defaults });
    user = await signUpVerified(h);
  });
  afterAll(() => h?.close());

  it('serves an OpenAPI 3.1 document generated from the validation schemas, one operation per route', async () => {
    const res = await h.request.get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual([...EXPECTED_OPERATIONS].sort());
    const signup = doc.paths['/api/v1/auth/signup/influencer'].post;
    const bodySchema = signup.requestBody.content['application/json'].schema;
    expect(bodySchema).toMatchObject({
      type: 'object',
      required: ['email', 'password', 'name'],
      additionalProperties: false,
    });
    expect(bodySchema.properties.password).toMatchObject({ type: 'string', minLength: 8 });
    expect(signup.responses['429'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/RateLimited',
    });
    expect(signup.description).toContain('auth: 5 per 15 min');
    expect(doc.info.description).toContain('| connection | 50 per day | user id |');
    const posts = doc.paths['/api/v1/accounts/{id}/posts'].get;
    expect(posts.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'id',
          in: 'path',
          required: true,
          schema: expect.objectContaining({ format: 'uuid' }),
        }),
        expect.objectContaining({
          name: 'limit',
          in: 'query',
          required: false,
          schema: expect.objectContaining({ maximum: 100 }),
        }),
      ]),
    );
    expect(posts.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/admin/stats'].get.security).toEqual([{ bearer: [] }, { cronSecret: [] }]);
    expect(Object.keys(doc.paths['/api/v1/accounts/{id}'].get.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '404', '429', '500']),
    );
  });

  it('serves the explorer page and its files from the installed swagger-ui-dist (no CDN)', async () => {
    const page = await h.request.get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const links = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(links).toEqual(expect.arrayContaining(['/docs/swagger-ui-bundle.js', '/docs/explorer.js']));
    expect(links.filter((link) => !link.startsWith('/'))).toEqual([]);
    for (const link of links) expect((await h.request.get(link)).status).toBe(200);

    const bundle = await h.request.get('/docs/swagger-ui-bundle.js').set('Accept-Encoding', 'gzip');
    expect(bundle.headers['content-encoding']).toBe('gzip');
    expect(bundle.headers['content-type']).toMatch(/^text\/javascript/);
    const installed = fs.readFileSync(require.resolve('swagger-ui-dist/swagger-ui-bundle.js'), 'utf8');
    expect(bundle.text).toBe(installed);
    const initializer = await h.request.get('/docs/explorer.js');
    expect(initializer.text).toContain('"url": "/api/v1/openapi.json"');
    expect(initializer.text).toContain('"validatorUrl": null');
    // Only the listed files: nothing else of the package, nor of node_modules.
    for (const path of ['/docs/package.json', '/docs/index.html', '/docs/..%2Fpackage.json']) {
      const res = await h.request.get(path);
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('ROUTE_NOT_FOUND');
    }
  });

  it('exposes the latency histogram by route template and status, and limiter outcomes, on /metrics', async () => {
    await h.request.get(`/api/v1/accounts/00000000-0000-4000-8000-000000000000`).set(user.auth);
    const res = await h.request.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(
      /socialsync_api_http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/api\/v1\/accounts\/:id",status="404"\} 1/,
    );
    // The one sign-up of beforeAll verified its code once.
    expect(res.text).toMatch(
      /socialsync_api_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/auth\/verify-otp",status="200"\} 1\n/,
    );
    expect(res.text).toMatch(
      /socialsync_api_rate_limit_decisions_total\{policy="general",outcome="allowed"\} \d+/,
    );
    expect(res.text).toMatch(
      /socialsync_api_rate_limit_decisions_total\{policy="auth",outcome="allowed"\} \d+/,
    );
    expect(res.text).not.toContain('00000000-0000-4000-8000-000000000000');
  });

  it('answers every request with an X-Request-Id, keeping a well-formed incoming one', async () => {
    const fresh = await h.request.get('/healthz');
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await h.request.get('/healthz').set('X-Request-Id', 'edge-proxy-1234abcd');
    expect(kept.headers['x-request-id']).toBe('edge-proxy-1234abcd');
    const replaced = await h.request.get('/healthz').set('X-Request-Id', '<script>');
    expect(replaced.headers['x-request-id']).not.toBe('<script>');
  });

  it('answers 500 without internals, with a request id that is also in the header and in the error log line', async () => {
    const connection = h.db.orm.em.getConnection();
    await connection.execute('alter table "notifications" rename to "notifications_hidden"');
    try {
      const res = await h.request.get('/api/v1/notifications').set(user.auth);
      expect(res.status).toBe(500);
      const requestId = res.headers['x-request-id'];
      expect(res.body).toEqual({
        error: 'INTERNAL_ERROR',
        message: 'Something went wrong on our side.',
        requestId,
      });
      expect(res.text).not.toMatch(/notifications|relation|select|sql/i);
      const logged = h.logs.lines.find((line) => line.requestId === requestId && line.level === 'error');
      expect(logged).toMatchObject({
        msg: 'unhandled error',
        err: expect.objectContaining({ message: expect.stringContaining('notifications') }),
      });
    } finally {
      await connection.execute('alter table "notifications_hidden" rename to "notifications"');
    }
  });

  it('logs one access line per request with the request id, route template and user id, never the token', async () => {
    const res = await h.request.get('/api/v1/accounts').set(user.auth);
    const line = h.logs.lines.find(
      (entry) => entry.requestId === res.headers['x-request-id'] && entry.msg === 'request',
    );
    expect(line).toMatchObject({
      method: 'GET',
      route: '/api/v1/accounts',
      status: 200,
      userId: user.id,
      ip: '127.0.0.1',
    });
    expect(JSON.stringify(h.logs.lines)).not.toContain(user.token);
  });

  it('reports readiness of PostgreSQL, Redis and Temporal', async () => {
    const res = await h.request.get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.checks.sort()).toEqual(['postgres', 'redis', 'temporal']);
  });
});
