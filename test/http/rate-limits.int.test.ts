import http from 'node:http';
import Koa from 'koa';
import supertest from 'supertest';
import { createLogger } from '../../src/logger';
import type { AppState } from '../../src/http/context';
import { createApiMetrics } from '../../src/http/metrics';
import {
  createRateLimiters,
  RATE_LIMIT_MESSAGE,
  waitUntilReady,
  type PolicyName,
} from '../../src/http/rate-limit';
import { findFreePort } from '../../src/process/free-port';
import { createRedis } from '../../src/redis/connection';
import {
  connectSimAccount,
  signUpVerified,
  simAccountId,
  startApiHarness,
  startSharedInfrastructure,
  stopSharedInfrastructure,
  type ApiHarness,
  type ApiHarnessOptions,
  type SharedInfrastructure,
} from '../helpers/api';
import { makeTestConfig } from '../helpers/config';
import { getIntegrationEnv } from '../helpers/integration-env';

jest.setTimeout(120_000);

/** The configured defaults: no relaxed limits in this file. */
const EXACT_LIMITS = {
  RATE_LIMIT_GENERAL: undefined,
  RATE_LIMIT_AUTH: undefined,
  RATE_LIMIT_SOCIAL: undefined,
  RATE_LIMIT_CONNECTION: undefined,
};
const EXPECTED_429_BODY = (retryAfter: number) => ({
  error: 'RATE_LIMIT_EXCEEDED',
  message: RATE_LIMIT_MESSAGE,
  retryAfter,
});

describe('the six rate limiters (real Redis, shared by every replica)', () => {
  let shared: SharedInfrastructure;
  const harnesses: ApiHarness[] = [];
  beforeAll(async () => {
    shared = await startSharedInfrastructure();
  });
  afterAll(async () => {
    await Promise.all(harnesses.map((h) => h.close()));
    await stopSharedInfrastructure(shared);
  });

  /** A fresh app with its own Redis key prefix: every test starts with empty budgets. */
  async function freshApi(options: Partial<ApiHarnessOptions> = {}): Promise<ApiHarness> {
    const h = await startApiHarness({
      label: 'limits',
      shared,
      ...options,
      env: { ...EXACT_LIMITS, ...options.env },
    });
    harnesses.push(h);
    return h;
  }

  const login = (h: ApiHarness, headers: Record<string, string> = {}) =>
    h.request
      .post('/api/v1/auth/login')
      .set(headers)
      .send({ email: 'nobody@socialsync.test', password: 'wrong password' });

  function expectRefusal(
    res: supertest.Response,
    policy: string,
    quota: number,
    windowSeconds: number,
  ): void {
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
    expect(res.body).toEqual(EXPECTED_429_BODY(retryAfter));
    expect(res.headers['ratelimit-policy']).toContain(`"${policy}";q=${quota};w=${windowSeconds}`);
    expect(res.headers.ratelimit).toMatch(new RegExp(`"${policy}";r=0;t=\\d+`));
    expect(res.headers['x-ratelimit-limit']).toBe(String(quota));
    expect(res.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
  }

  it('auth: 5 attempts per 15 minutes per IP across signup, verify-otp and login; the 6th is 429 with the exact body', async () => {
    const h = await freshApi();
    const first = await login(h);
    expect(first.status).toBe(401);
    expect(first.headers['ratelimit-policy']).toBe('"general";q=100;w=900, "auth";q=5;w=900');
    expect(first.headers.ratelimit).toMatch(/^"general";r=99;t=\d+, "auth";r=4;t=\d+$/);
    expect(first.headers['x-ratelimit-limit']).toBe('5');
    expect(
      (
        await h.request
          .post('/api/v1/auth/signup/influencer')
          .send({ email: 'a@socialsync.test', password: 'long enough pw', name: 'A' })
      ).status,
    ).toBe(201);
    expect((await h.request.post('/api/v1/auth/signup/salon').send({})).status).toBe(400);
    expect(
      (await h.request.post('/api/v1/auth/verify-otp').send({ email: 'a@socialsync.test', otp: '000000' }))
        .status,
    ).toBe(400);
    expect((await login(h)).status).toBe(401);
    const sixth = await login(h);
    expectRefusal(sixth, 'auth', 5, 900);
    // Refused attempts are not counted again and never reach the handler.
    expectRefusal(await login(h), 'auth', 5, 900);
    const series = await h.metrics.registry.getSingleMetricAsString(
      'socialsync_api_rate_limit_decisions_total',
    );
    expect(series).toContain('policy="auth",outcome="allowed"} 5');
    expect(series).toContain('policy="auth",outcome="limited"} 2');
  });

  it('social: 10 syncs per 15 minutes per user, the 11th is 429; another user and X-Cron-Secret callers are not held', async () => {
    const h = await freshApi({ env: { RATE_LIMIT_AUTH: '1000/15m' } });
    const [user, other] = await Promise.all([signUpVerified(h), signUpVerified(h)]);
    const connected = await connectSimAccount(h, user, 'tiktok', simAccountId(h, 'tiktok', 0));
    try {
      // No worker polls this task queue: the first start stays RUNNING and the next nine get it back.
      for (let i = 1; i <= 10; i++)
        expect((await h.request.post('/api/v1/tiktok/sync').set(user.auth)).status).toBe(202);
      expectRefusal(await h.request.post('/api/v1/tiktok/sync').set(user.auth), 'social', 10, 900);
      expectRefusal(await h.request.post('/api/v1/instagram/sync').set(user.auth), 'social', 10, 900);
      expect((await h.request.post('/api/v1/tiktok/sync').set(other.auth)).status).toBe(404); // own budget: not 429
      const cron = { 'X-Cron-Secret': h.config.auth.cronJobSecret };
      for (let i = 1; i <= 12; i++) {
        expect(
          (
            await h.request
              .post('/api/v1/tiktok/sync')
              .set(cron)
              .send({ accountId: connected.body.account.id })
          ).status,
        ).toBe(202);
      }
    } finally {
      await h.temporal.client.workflow
        .getHandle(`sync-account-${connected.body.account.id}`)
        .terminate('test done')
        .catch(() => undefined);
    }
  });

  it('connection: 50 connects per day per user, the 51st is 429; another user still connects', async () => {
    const h = await freshApi({ env: { RATE_LIMIT_AUTH: '1000/15m', RATE_LIMIT_GENERAL: '1000/15m' } });
    const [user, other] = await Promise.all([signUpVerified(h), signUpVerified(h)]);
    const attempt = (auth: Record<string, string>) =>
      h.request.post('/api/v1/accounts/tiktok/connect').set(auth).send({ code: 'c', state: 's' });
    for (let i = 1; i <= 50; i++) expect((await attempt(user.auth)).status).toBe(400);
    expectRefusal(await attempt(user.auth), 'connection', 50, 86_400);
    expect((await connectSimAccount(h, other, 'tiktok', simAccountId(h, 'tiktok', 1))).status).toBe(201);
  });

  it('general: 200 concurrent requests against a limit of 100 admit exactly 100 (one atomic script per request)', async () => {
    const h = await freshApi();
    const answers = await Promise.all(Array.from({ length: 200 }, () => h.request.get('/api/v1/accounts')));
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(100);
    expect(statuses.filter((status) => status === 429)).toHaveLength(100);
    expectRefusal(
      answers.find((res) => res.status === 429)!,
      'general',
      100,
      900,
    );
    // Health, docs and metrics are outside /api/v1 and never limited.
    expect((await h.request.get('/healthz')).status).toBe(200);
    expect((await h.request.get('/docs')).status).toBe(200);
  });

  it('a forged X-Forwarded-For changes nothing when TRUST_PROXY is false', async () => {
    const h = await freshApi();
    for (let i = 1; i <= 5; i++)
      expect((await login(h, { 'X-Forwarded-For': `203.0.113.${i}` })).status).toBe(401);
    expectRefusal(await login(h, { 'X-Forwarded-For': '198.51.100.77' }), 'auth', 5, 900);
    expectRefusal(await login(h), 'auth', 5, 900);
  });

  it('behind one trusted proxy (TRUST_PROXY=1) the proxy-appended address counts, whatever the client prepends', async () => {
    const h = await freshApi({ env: { TRUST_PROXY: '1' } });
    for (let i = 1; i <= 5; i++)
      expect((await login(h, { 'X-Forwarded-For': `10.9.9.${i}, 203.0.113.10` })).status).toBe(401);
    expectRefusal(await login(h, { 'X-Forwarded-For': '1.2.3.4, 203.0.113.10' }), 'auth', 5, 900);
    expect((await login(h, { 'X-Forwarded-For': '203.0.113.11' })).status).toBe(401); // another real client
  });

  describe('upload and chat (no routes use them yet)', () => {
    const env = getIntegrationEnv();
    const config = makeTestConfig();

    /** The exported policies on a bare Koa app, keyed by the user id the auth middleware would set. */
    async function appWith(policy: PolicyName) {
      const redis = createRedis({ url: env.redisUrl });
      await waitUntilReady(redis, 5_000);
      const limiters = createRateLimiters({
        rateLimits: config.rateLimits,
        redis,
        keyPrefix: `${env.redisKeyPrefix}${policy}-${Date.now()}:`,
        metrics: createApiMetrics(),
        logger: createLogger({ level: 'silent', name: 'test' }),
      });
      const app = new Koa<AppState>();
      app.use((ctx, next) => {
        ctx.state.clientIp = '127.0.0.1';
        ctx.state.user = { id: ctx.get('X-Test-User'), email: 'u@socialsync.test', role: 'influencer' };
        return next();
      });
      app.use(limiters[policy]);
      app.use((ctx) => {
        ctx.body = { ok: true };
      });
      const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const request = supertest(server);
      return {
        request,
        close: () => Promise.all([new Promise((resolve) => server.close(resolve)), redis.quit()]),
      };
    }

    it.each([
      ['upload', 20, 3600],
      ['chat', 100, 300],
    ] as const)(
      '%s: %i per user per window exactly, then 429; another user keeps their own budget',
      async (policy, quota, windowSeconds) => {
        const { request, close } = await appWith(policy);
        try {
          for (let i = 1; i <= quota; i++)
            expect((await request.get('/').set('X-Test-User', 'user-a')).status).toBe(200);
          expectRefusal(await request.get('/').set('X-Test-User', 'user-a'), policy, quota, windowSeconds);
          expect((await request.get('/').set('X-Test-User', 'user-b')).status).toBe(200);
        } finally {
          await close();
        }
      },
    );
  });

  describe('with Redis unreachable', () => {
    let closedPort: number;
    beforeAll(async () => {
      closedPort = await findFreePort();
    });

    it('general routes pass, logins stay limited (in-process fallback), and both are counted', async () => {
      const deadRedis = createRedis({ url: `redis://127.0.0.1:${closedPort}` });
      deadRedis.on('error', () => undefined);
      try {
        const h = await freshApi({ rateLimitRedis: deadRedis });
        const user = await signUpVerified(h); // 2 of the 5 auth attempts
        const answers = await Promise.all(
          Array.from({ length: 110 }, () => h.request.get('/api/v1/notifications').set(user.auth)),
        );
        expect(answers.every((res) => res.status === 200)).toBe(true); // more than the general 100: fail-open
        for (let i = 3; i <= 5; i++) expect((await login(h)).status).toBe(401);
        expectRefusal(await login(h), 'auth', 5, 900);
        const series = await h.metrics.registry.getSingleMetricAsString(
          'socialsync_api_rate_limit_decisions_total',
        );
        expect(series).toMatch(/policy="general",outcome="store_error_allowed"} 11[0-9]/);
        expect(series).toContain('policy="auth",outcome="fallback_allowed"} 5');
        expect(series).toContain('policy="auth",outcome="fallback_limited"} 1');
      } finally {
        deadRedis.disconnect();
      }
    });
  });
});
