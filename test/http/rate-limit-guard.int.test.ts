import http from 'node:http';
import type { Redis } from 'ioredis';
import { Redis as IORedis } from 'ioredis';
import Koa from 'koa';
import supertest from 'supertest';
import type { AppState } from '../../src/http/context';
import { createApiMetrics, type ApiMetrics } from '../../src/http/metrics';
import { createRateLimiters, waitUntilReady } from '../../src/http/rate-limit';
import {
  createRedisStoreGuard,
  FAILURES_TO_OPEN,
  OPEN_MS,
  StoreUnavailableError,
} from '../../src/http/rate-limit/redis-store-guard';
import { createLogger } from '../../src/logger';
import { createRedis } from '../../src/redis/connection';
import { makeTestConfig } from '../helpers/config';
import { getIntegrationEnv } from '../helpers/integration-env';
import { eventually } from '../helpers/processes';
import { startRedisProxy, type RedisProxy } from '../helpers/redis-proxy';

jest.setTimeout(60_000);

/**
 * The limiters against the run's real Redis behind a proxy that makes it slow, silent or gone: a slow answer
 * (or a busy event loop) is waited for and counted exactly; only a connection that is down, or three failed
 * commands in a row, make the limiters fall back; the auth fallback starts from the count Redis last gave.
 */
describe('limiters: a slow Redis is not an outage', () => {
  const env = getIntegrationEnv();
  const config = makeTestConfig(); // production limits and the 500 ms default deadline
  let proxy: RedisProxy;
  let redis: Redis;
  const closers: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    proxy = await startRedisProxy(env.redisUrl);
    redis = createRedis({ url: proxy.url });
    redis.on('error', () => undefined);
    expect(await waitUntilReady(redis, 5_000)).toBe(true);
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    redis.disconnect();
    await proxy.close();
  });

  /**
   * General on every path, auth on /login; the handler may keep the event loop busy for `busyMs`. `client`:
   * the limiters' Redis client, by default the one through the proxy.
   */
  async function limiterApp(busyMs = 0, client: Redis = redis) {
    const metrics = createApiMetrics();
    const limiters = createRateLimiters({
      rateLimits: config.rateLimits,
      redis: client,
      keyPrefix: `${env.redisKeyPrefix}guard-${Date.now()}-${Math.random()}:`,
      metrics,
      logger: createLogger({ level: 'silent', name: 'test' }),
    });
    const app = new Koa<AppState>();
    app.use((ctx, next) => {
      ctx.state.clientIp = ctx.get('X-Test-Ip') || '127.0.0.1';
      return next();
    });
    app.use((ctx, next) => limiters.general(ctx, next));
    app.use((ctx, next) => (ctx.path === '/login' ? limiters.auth(ctx, next) : next()));
    app.use((ctx) => {
      const until = performance.now() + busyMs;
      while (performance.now() < until); // CPU-bound work: nothing else runs meanwhile
      ctx.body = 'ok';
    });
    const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    return { request: supertest(server), metrics };
  }

  /** The decision counter's samples (its HELP line names every outcome, so it is left out). */
  async function decisions(metrics: ApiMetrics): Promise<string> {
    const text = await metrics.registry.getSingleMetricAsString('socialsync_api_rate_limit_decisions_total');
    return text
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .join('\n');
  }

  it('waits for a Redis that answers in 150 ms (over the old 100 ms deadline): 130 concurrent, exactly 100 admitted', async () => {
    proxy.delayMs = 150;
    const { request, metrics } = await limiterApp();
    const answers = await Promise.all(
      Array.from({ length: 130 }, () => request.get('/').set('X-Test-Ip', '10.0.0.1')),
    );
    expect(answers.filter((res) => res.status === 200)).toHaveLength(100);
    expect(answers.filter((res) => res.status === 429)).toHaveLength(30);
    const series = await decisions(metrics);
    expect(series).toContain('policy="general",outcome="allowed"} 100');
    expect(series).toContain('policy="general",outcome="limited"} 30');
    expect(series).not.toContain('store_error');
    expect(proxy.scriptCalls()).toBe(130);
  });

  it('counts exactly while request handlers keep the event loop busy (20 ms of CPU each)', async () => {
    // Straight to Redis: the proxy lives on this event loop and would add a second busy hop to every answer.
    const direct = createRedis({ url: env.redisUrl });
    closers.push(async () => direct.disconnect());
    expect(await waitUntilReady(direct, 5_000)).toBe(true);
    const { request, metrics } = await limiterApp(20, direct);
    const answers = await Promise.all(
      Array.from({ length: 150 }, () => request.get('/').set('X-Test-Ip', '10.0.0.2')),
    );
    expect(answers.filter((res) => res.status === 200)).toHaveLength(100);
    const series = await decisions(metrics);
    expect(series).not.toContain('store_error');
    expect(series).not.toContain('fallback');
  });

  it("the guard's deadline survives a blocked event loop that ioredis's own command timeout does not", async () => {
    const blockFor = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    // ioredis's timer fires first when the loop wakes up, though the answer has been in the socket for ages.
    const plain = new IORedis(env.redisUrl, {
      commandTimeout: 100,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    await plain.connect();
    closers.push(async () => plain.disconnect());
    const plainPing = plain.ping().then(
      (value) => value,
      (error: Error) => error.message,
    );
    blockFor(300);
    expect(await plainPing).toBe('Command timed out');

    const direct = createRedis({ url: env.redisUrl });
    closers.push(async () => direct.disconnect());
    expect(await waitUntilReady(direct, 5_000)).toBe(true);
    const guard = createRedisStoreGuard({ redis: direct, deadlineMs: 100 });
    const guardedPing = guard.run(() => direct.ping());
    blockFor(300);
    await expect(guardedPing).resolves.toBe('PONG');
    expect(guard.state()).toBe('closed');
  });

  it('a Redis that is gone: nothing is sent, auth falls back from the count Redis last gave, then Redis decides again', async () => {
    const { request, metrics } = await limiterApp();
    const login = () => request.get('/login').set('X-Test-Ip', '10.0.0.3');
    for (let i = 0; i < 3; i++) expect((await login()).status).toBe(200);
    const sentBefore = proxy.scriptCalls();
    await proxy.cut();
    await eventually(async () => redis.status !== 'ready', 'the client to notice', 10_000);
    // Nothing is even handed to the client while it is not connected (the proxy cannot see that: it is cut).
    const sendCommand = jest.spyOn(redis, 'sendCommand');

    // 2 of the 5 are left: the in-process store starts from Redis's last answer, not from zero.
    expect((await login()).status).toBe(200);
    expect((await login()).status).toBe(200);
    expect((await login()).status).toBe(429);
    expect((await request.get('/').set('X-Test-Ip', '10.0.0.4')).status).toBe(200); // general fails open
    expect(sendCommand).not.toHaveBeenCalled();
    sendCommand.mockRestore();
    const series = await decisions(metrics);
    expect(series).toContain('policy="auth",outcome="fallback_allowed"} 2');
    expect(series).toContain('policy="auth",outcome="fallback_limited"} 1');

    await proxy.restore();
    expect(await waitUntilReady(redis, 10_000)).toBe(true);
    const fresh = await request.get('/').set('X-Test-Ip', '10.0.0.5');
    expect(fresh.status).toBe(200);
    expect(fresh.headers.ratelimit).toContain('"general"');
    expect(proxy.scriptCalls()).toBe(sentBefore + 1);
  });

  it(`a Redis that never answers: ${FAILURES_TO_OPEN} misses open the breaker, nothing is sent until one probe after ${OPEN_MS} ms`, async () => {
    const { request, metrics } = await limiterApp();
    const get = () => request.get('/').set('X-Test-Ip', '10.0.0.6');
    expect((await get()).status).toBe(200);
    const sentBefore = proxy.scriptCalls();
    proxy.hold();
    for (let i = 0; i < 8; i++) expect((await get()).status).toBe(200); // general fails open
    expect(proxy.scriptCalls()).toBe(sentBefore + FAILURES_TO_OPEN);
    expect(await decisions(metrics)).toContain('policy="general",outcome="store_error_allowed"} 8');

    // Redis answers again: after the open period one request probes, its success closes the breaker.
    proxy.release();
    await new Promise((resolve) => setTimeout(resolve, OPEN_MS + 100));
    expect((await get()).headers.ratelimit).toContain('"general"');
    expect((await get()).headers.ratelimit).toContain('"general"');
    expect(proxy.scriptCalls()).toBe(sentBefore + FAILURES_TO_OPEN + 2);
  });

  it('refuses to send while the client is not connected', async () => {
    const guard = createRedisStoreGuard({ redis, deadlineMs: 500 });
    await proxy.cut();
    await eventually(async () => redis.status !== 'ready', 'the client to notice', 10_000);
    const command = jest.fn(() => redis.ping());
    await expect(guard.run(command)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(command).not.toHaveBeenCalled();
  });
});
