import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import type Koa from 'koa';
import supertest from 'supertest';
import { readOutbox, createOutboxMailer } from '../../src/auth/mailer';
import { createTokenService } from '../../src/auth/tokens';
import { upsertAdmin } from '../../src/auth/auth-service';
import type { Config } from '../../src/config';
import { createTokenCipher, type TokenCipher } from '../../src/crypto/token-cipher';
import type { Platform } from '../../src/platforms/types';
import { createApp } from '../../src/http/app';
import type { AppState } from '../../src/http/context';
import { createApiMetrics, type ApiMetrics } from '../../src/http/metrics';
import { waitUntilReady } from '../../src/http/rate-limit';
import { createReadinessChecks } from '../../src/http/readiness';
import { createLogger, type Logger } from '../../src/logger';
import { createPlatformClients } from '../../src/platforms';
import { createRedis } from '../../src/redis/connection';
import { createSimulator, withSimulator, type Simulator } from '../../src/devtools/simulator';
import { makeTestConfig, simulatorAppsFor } from './config';
import { createTestDatabase, type TestDatabase } from './database';
import { getIntegrationEnv } from './integration-env';
import { connectToDevServer, uniqueTaskQueue, type TestTemporal } from './temporal';

/** Limits high enough that tests not about rate limiting never meet them (the limiter tests set their own). */
export const RELAXED_LIMITS = {
  RATE_LIMIT_GENERAL: '100000/15m',
  RATE_LIMIT_AUTH: '100000/15m',
  RATE_LIMIT_SOCIAL: '100000/15m',
  RATE_LIMIT_CONNECTION: '100000/1d',
};

export interface ApiHarnessOptions {
  label: string;
  /** A function gets the harness's base URL, e.g. for redirect URIs that name the API's own callback. */
  env?: Record<string, string | undefined> | ((baseUrl: string) => Record<string, string | undefined>);
  /** The limiters' Redis client; default: a real one on the run's Redis. null: in-process store. */
  rateLimitRedis?: Redis | null;
  scheduleIds?: string[];
  /** Reuse one database/Temporal/simulator across harnesses of the same file. */
  shared?: SharedInfrastructure;
}

export interface SharedInfrastructure {
  db: TestDatabase;
  temporal: TestTemporal;
  sim: Simulator;
}

export interface ApiHarness extends SharedInfrastructure {
  config: Config;
  app: Koa<AppState>;
  server: http.Server;
  baseUrl: string;
  request: ReturnType<typeof supertest>;
  redis: Redis | null;
  metrics: ApiMetrics;
  logs: LogCapture;
  cipher: TokenCipher;
  outboxFile: string;
  close(): Promise<void>;
}

/** Everything logged, one parsed JSON object per line. */
export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  readonly logger: Logger = createLogger({
    level: 'info',
    name: 'socialsync-api-test',
    destination: new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
          this.lines.push(JSON.parse(line));
        done();
      },
    }),
  });
}

export async function startSharedInfrastructure(): Promise<SharedInfrastructure> {
  const [db, temporal] = await Promise.all([createTestDatabase(), connectToDevServer()]);
  const sim = createSimulator({ accountsPerPlatform: 6, apps: simulatorAppsFor(makeTestConfig()) });
  await sim.start();
  return { db, temporal, sim };
}

export async function stopSharedInfrastructure(shared: SharedInfrastructure): Promise<void> {
  await Promise.allSettled([shared.sim.stop(), shared.temporal.close(), shared.db.drop()]);
}

/**
 * The real app on a real port, over the run's PostgreSQL (a private database), Redis (a private key prefix),
 * Temporal dev server and an in-process platform simulator.
 */
export async function startApiHarness(options: ApiHarnessOptions): Promise<ApiHarness> {
  const integration = getIntegrationEnv();
  const shared = options.shared ?? (await startSharedInfrastructure());
  // Listening first, so the configuration may name the harness's own address.
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `socialsync-${options.label}-`));
  const outboxFile = path.join(dir, 'outbox.jsonl');
  const base = makeTestConfig({
    DATABASE_URL: shared.db.url,
    REDIS_URL: integration.redisUrl,
    REDIS_KEY_PREFIX: `${integration.redisKeyPrefix}${options.label}-${randomUUID().slice(0, 8)}:`,
    TEMPORAL_ADDRESS: integration.temporalAddress,
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue(options.label),
    MAIL_OUTBOX_FILE: outboxFile,
    ...RELAXED_LIMITS,
    ...(typeof options.env === 'function' ? options.env(baseUrl) : options.env),
  });
  const config = withSimulator(base, shared.sim);
  const redis =
    options.rateLimitRedis !== undefined ? options.rateLimitRedis : createRedis({ url: config.redis.url });
  if (redis && options.rateLimitRedis === undefined) await waitUntilReady(redis, 5_000);
  const logs = new LogCapture();
  const metrics = createApiMetrics();
  const cipher = createTokenCipher(config.encryption);
  const app = createApp({
    config,
    logger: logs.logger,
    readiness: createReadinessChecks({ orm: shared.db.orm, redis, temporal: shared.temporal.client }),
    orm: shared.db.orm,
    rateLimitRedis: redis,
    temporal: shared.temporal.client,
    platforms: createPlatformClients(config, { logger: logs.logger }),
    cipher,
    mailer: createOutboxMailer({ outboxFile, from: config.mail.from, logger: logs.logger }),
    metrics,
    scheduleIds: options.scheduleIds,
  });
  server.on('request', app.callback());
  return {
    ...shared,
    config,
    app,
    server,
    baseUrl,
    request: supertest(baseUrl),
    redis,
    metrics,
    logs,
    cipher,
    outboxFile,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (options.rateLimitRedis === undefined) redis?.disconnect();
      if (!options.shared) await stopSharedInfrastructure(shared);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
  auth: { Authorization: string };
}

/** The code mailed to `email` most recently (the outbox mailer writes one JSON line per mail). */
export async function readLatestOtp(outboxFile: string, email: string): Promise<string> {
  const mails = (await readOutbox(outboxFile)).filter((mail) => mail.to === email.toLowerCase());
  const code = /\b(\d{6})\b/.exec(mails[mails.length - 1]?.text ?? '')?.[1];
  if (!code) throw new Error(`no code mailed to ${email}`);
  return code;
}

/** Sign-up + verification through the API, as a client app does it. */
export async function signUpVerified(
  h: ApiHarness,
  role: 'influencer' | 'salon' = 'influencer',
): Promise<TestUser> {
  const email = `${role}-${randomUUID().slice(0, 8)}@socialsync.test`;
  const password = 'correct horse battery';
  const signup = await h.request
    .post(`/api/v1/auth/signup/${role}`)
    .send({ email, password, name: 'Test User' });
  if (signup.status !== 201)
    throw new Error(`signup answered ${signup.status}: ${JSON.stringify(signup.body)}`);
  const otp = await readLatestOtp(h.outboxFile, email);
  const verified = await h.request.post('/api/v1/auth/verify-otp').send({ email, otp });
  if (verified.status !== 200)
    throw new Error(`verify answered ${verified.status}: ${JSON.stringify(verified.body)}`);
  const token = verified.body.token as string;
  return { id: verified.body.user.id, email, password, token, auth: { Authorization: `Bearer ${token}` } };
}

/** An admin as `npm run admin -- create-admin` makes one, with a token from the API's own token service. */
export async function createAdmin(h: ApiHarness): Promise<TestUser> {
  const email = `admin-${randomUUID().slice(0, 8)}@socialsync.test`;
  const password = 'admin password 123';
  const { user } = await upsertAdmin(h.db.orm.em.fork(), { email, password, name: 'Admin' });
  const { token } = createTokenService({ secret: h.config.auth.jwtSecret, ttlSeconds: 600 }).issueAccessToken(
    { userId: user.id, role: 'admin' },
  );
  return { id: user.id, email, password, token, auth: { Authorization: `Bearer ${token}` } };
}

/** Connects a simulator account through authorize-url + connect, as the OAuth redirect would. */
export async function connectSimAccount(
  h: ApiHarness,
  user: TestUser,
  platform: Platform,
  externalId: string,
) {
  const authorize = await h.request.get(`/api/v1/accounts/${platform}/authorize-url`).set(user.auth);
  if (authorize.status !== 200) throw new Error(`authorize-url answered ${authorize.status}`);
  const { code } = h.sim.control.issueAuthCode(platform, externalId);
  return h.request
    .post(`/api/v1/accounts/${platform}/connect`)
    .set(user.auth)
    .send({ code, state: authorize.body.state });
}

/** The n-th seeded simulator account of a platform (each test file uses its own so none collide). */
export function simAccountId(
  h: Pick<SharedInfrastructure, 'sim'>,
  platform: Platform,
  index: number,
): string {
  return h.sim.control.listAccounts(platform)[index].externalId;
}
