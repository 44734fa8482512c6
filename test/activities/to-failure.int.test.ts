import { ApplicationFailure } from '@temporalio/common';
import { knex, UniqueConstraintViolationException, type Knex } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { createActivities } from '../../activities';
import { toActivityFailure } from '../../activities/to-failure';
import { openOrm, type Orm } from '../../src/db/orm';
import { User } from '../../src/db/entities';
import { isDatabaseUnavailable } from '../../src/db/unavailable';
import { createTokenCipher } from '../../src/crypto/token-cipher';
import { startPrivatePostgres } from '../../src/devtools/faults/private-postgres';
import { createWorkerMetrics } from '../../src/metrics/worker-metrics';
import { createPlatformClients } from '../../src/platforms';
import { findFreePort } from '../../src/process/free-port';
import { createRedis } from '../../src/redis/connection';
import {
  decodeFailure,
  DEPENDENCY_UNAVAILABLE_FAILURE_TYPE,
  FAILURE_CODES,
  INTERNAL_FAILURE_TYPE,
} from '../../workflows/contract';
import { makeTestConfig } from '../helpers/config';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { getIntegrationEnv } from '../helpers/integration-env';

/**
 * The failure an activity reports for real driver errors (PostgreSQL through knex and MikroORM, Redis
 * through ioredis): an unavailable dependency is DependencyUnavailable with its own stable code and is
 * retried on the whole schedule; anything else is INTERNAL_ERROR; no message carries the failed SQL.
 */
describe('activity failures from real driver errors', () => {
  let db: TestDatabase;
  let closedPort: number;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    closedPort = await findFreePort();
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  afterAll(() => db.drop());

  function knexOn(url: string, pool: Knex.PoolConfig = { min: 0, max: 2 }, acquireMs = 10_000): Knex {
    const client = knex({ client: 'pg', connection: url, pool, acquireConnectionTimeout: acquireMs });
    closers.push(() => client.destroy());
    return client;
  }

  function caught(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      () => {
        throw new Error('expected the driver to fail');
      },
      (error: unknown) => error,
    );
  }

  function expectDependencyFailure(failure: unknown, code: string): ApplicationFailure {
    expect(failure).toBeInstanceOf(ApplicationFailure);
    const app = failure as ApplicationFailure;
    expect(app.type).toBe(DEPENDENCY_UNAVAILABLE_FAILURE_TYPE);
    expect(app.nonRetryable).toBe(false);
    expect(decodeFailure(app)).toEqual({ type: DEPENDENCY_UNAVAILABLE_FAILURE_TYPE, code, retryable: true });
    return app;
  }

  it('a refused connection is DATABASE_UNAVAILABLE, retried even after the attempts an own error gets', async () => {
    const error = await caught(knexOn(`postgresql://postgres@127.0.0.1:${closedPort}/x`).raw('select 1'));
    expect((error as { code?: string }).code).toBe('ECONNREFUSED');
    expect(isDatabaseUnavailable(error)).toBe(true);
    const failure = expectDependencyFailure(
      toActivityFailure(error, { attempt: 10, ownErrorAttempts: 4 }),
      FAILURE_CODES.databaseUnavailable,
    );
    expect(failure.message).toBe('PostgreSQL unavailable (ECONNREFUSED)');
  });

  it('sessions a fast shutdown ends (57P01) are DATABASE_UNAVAILABLE, without the SQL', async () => {
    const postgres = await startPrivatePostgres();
    closers.push(() => postgres.destroy());
    const client = knexOn(postgres.url('postgres'));
    const sleeping = caught(client.raw("select pg_sleep(30), 'secret-value' as marker"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await postgres.stop(); // pg_ctl stop -m fast: every session is told 57P01 admin_shutdown
    const error = await sleeping;
    expect((error as { code?: string }).code).toBe('57P01');
    const failure = expectDependencyFailure(toActivityFailure(error), FAILURE_CODES.databaseUnavailable);
    expect(failure.message).toBe('PostgreSQL unavailable (57P01)');
    expect(failure.stack).not.toContain('secret-value');
  });

  it('no pooled connection in time (KnexTimeoutError) is DATABASE_UNAVAILABLE', async () => {
    const client = knexOn(db.url, { min: 0, max: 1 }, 300);
    const held = await client.transaction();
    try {
      const error = await caught(client.raw('select 1'));
      expect(error).toBeInstanceOf(knex.KnexTimeoutError);
      expectDependencyFailure(toActivityFailure(error), FAILURE_CODES.databaseUnavailable);
    } finally {
      await held.rollback();
    }
  });

  it('MikroORM over an unreachable server reports the same', async () => {
    const orm: Orm = await openOrm({
      databaseUrl: `postgresql://postgres@127.0.0.1:${closedPort}/x`,
      poolMax: 1,
    });
    closers.push(() => orm.close(true));
    const error = await caught(orm.em.fork().find(User, {}));
    expectDependencyFailure(toActivityFailure(error), FAILURE_CODES.databaseUnavailable);
  });

  it('our own database errors are INTERNAL_ERROR (class and SQLSTATE kept, SQL and values dropped), final at the last own attempt', async () => {
    const syntax = await caught(knexOn(db.url).raw("selectt 'secret-value'"));
    expect(isDatabaseUnavailable(syntax)).toBe(false);
    const failure = toActivityFailure(syntax, { attempt: 1, ownErrorAttempts: 4 }) as ApplicationFailure;
    expect(failure.type).toBe(INTERNAL_FAILURE_TYPE);
    expect(failure.message).toBe('DatabaseError (42601)');
    expect(failure.stack).not.toContain('secret-value');
    expect(decodeFailure(failure)).toEqual({
      type: INTERNAL_FAILURE_TYPE,
      code: FAILURE_CODES.internal,
      retryable: true,
    });
    expect(
      (toActivityFailure(syntax, { attempt: 4, ownErrorAttempts: 4 }) as ApplicationFailure).nonRetryable,
    ).toBe(true);

    const em = db.orm.em.fork();
    const email = `twice-${Date.now()}@socialsync.test`;
    await em.insert(User, { email, passwordHash: 'x', role: 'influencer' });
    const duplicate = await caught(em.insert(User, { email, passwordHash: 'x', role: 'influencer' }));
    expect(duplicate).toBeInstanceOf(UniqueConstraintViolationException);
    const unique = toActivityFailure(duplicate) as ApplicationFailure;
    expect(unique.message).toBe('UniqueConstraintViolationException (23505)');
    expect(unique.stack).not.toContain(email);
  });

  it('a Redis the client cannot reach is REDIS_UNAVAILABLE; a command Redis refuses is not', async () => {
    const down: Redis = createRedis({ url: `redis://127.0.0.1:${closedPort}` });
    down.on('error', () => undefined);
    closers.push(async () => down.disconnect());
    const error = await caught(down.get('anything'));
    expectDependencyFailure(toActivityFailure(error, { redis: down }), FAILURE_CODES.redisUnavailable);

    const up = createRedis({ url: getIntegrationEnv().redisUrl });
    closers.push(async () => up.disconnect());
    await new Promise((resolve) => up.once('ready', resolve));
    const key = `${getIntegrationEnv().redisKeyPrefix}to-failure:list`;
    await up.rpush(key, 'x');
    try {
      const wrongType = await caught(up.get(key));
      const failure = toActivityFailure(wrongType, { redis: up }) as ApplicationFailure;
      expect(failure.type).toBe(INTERNAL_FAILURE_TYPE);
    } finally {
      await up.del(key);
    }
  });

  it("every activity maps what it throws: a page read against a stopped database is DATABASE_UNAVAILABLE, never a driver's message", async () => {
    const orm: Orm = await openOrm({
      databaseUrl: `postgresql://postgres@127.0.0.1:${closedPort}/x`,
      poolMax: 1,
    });
    const redis = createRedis({ url: getIntegrationEnv().redisUrl });
    closers.push(
      async () => redis.disconnect(),
      () => orm.close(true),
    );
    const config = makeTestConfig();
    const activities = createActivities({
      config,
      logger: pino({ level: 'silent' }),
      orm,
      redis,
      cipher: createTokenCipher(config.encryption),
      platforms: createPlatformClients(config),
      metrics: createWorkerMetrics(),
      now: () => new Date(),
    });
    const error = await caught(
      activities.listAccountsDueForSync({ dueBefore: new Date().toISOString(), after: null, limit: 10 }),
    );
    expectDependencyFailure(error, FAILURE_CODES.databaseUnavailable);
    expect(activities.listAccountsDueForSync.name).toBe('listAccountsDueForSync');
  });

  it('reads a failure of a type it does not know as ACTIVITY_FAILED, never as a class name', () => {
    const foreign = ApplicationFailure.create({ type: 'TypeError', message: 'x is not a function' });
    expect(decodeFailure(foreign).code).toBe('ACTIVITY_FAILED');
  });
});
