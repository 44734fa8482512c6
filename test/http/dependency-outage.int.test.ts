import http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import Koa from 'koa';
import supertest from 'supertest';
import type { AppState } from '../../src/http/context';
import { errorHandler, SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS } from '../../src/http/middleware/errors';
import { createLogger } from '../../src/logger';
import { ensureDatabaseExists } from '../../src/db/ensure-database';
import { migrateToLatest, openOrm } from '../../src/db/orm';
import { startPrivatePostgres, type PrivatePostgres } from '../../src/devtools/faults/private-postgres';
import { createSimulator } from '../../src/devtools/simulator';
import { findFreePort } from '../../src/process/free-port';
import { apiConnectionOptions } from '../../src/temporal/connection';
import {
  connectSimAccount,
  createAdmin,
  signUpVerified,
  simAccountId,
  startApiHarness,
  type ApiHarness,
} from '../helpers/api';
import { makeTestConfig, simulatorAppsFor } from '../helpers/config';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { connectToDevServer } from '../helpers/temporal';

jest.setTimeout(180_000);

/**
 * The API with a dependency down, for real: a private PostgreSQL server stopped under a running app, and a
 * Temporal address nothing listens on. Routes that need them answer 503 SERVICE_UNAVAILABLE with
 * Retry-After, never 500, and recover by themselves.
 */
describe('the API while a dependency is unreachable', () => {
  const serviceUnavailable = {
    error: 'SERVICE_UNAVAILABLE',
    message: expect.any(String),
    requestId: expect.any(String),
  };

  function expectServiceUnavailable(res: supertest.Response): void {
    expect({ status: res.status, body: res.body }).toEqual({ status: 503, body: serviceUnavailable });
    expect(res.headers['retry-after']).toBe(String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS));
  }

  describe('PostgreSQL stopped', () => {
    let postgres: PrivatePostgres;
    let db: TestDatabase;
    let h: ApiHarness;

    beforeAll(async () => {
      postgres = await startPrivatePostgres();
      const url = postgres.url('socialsync');
      await ensureDatabaseExists(url);
      const orm = await openOrm({ databaseUrl: url, poolMax: 5 });
      await migrateToLatest(orm);
      db = { url, orm, drop: () => orm.close(true) };
      const sim = createSimulator({ accountsPerPlatform: 1, apps: simulatorAppsFor(makeTestConfig()) });
      await sim.start();
      h = await startApiHarness({
        label: 'pg-outage',
        shared: { db, temporal: await connectToDevServer(), sim },
      });
    });
    afterAll(async () => {
      await h?.close();
      await Promise.allSettled([h?.sim.stop(), h?.temporal.close(), db?.drop()]);
      await postgres?.destroy();
    });

    it('answers 503 with Retry-After (not 500) while it is down, and serves again once it is back', async () => {
      const user = await signUpVerified(h);
      expect((await h.request.get('/api/v1/accounts').set(user.auth)).status).toBe(200);
      const { state } = (await h.request.get('/api/v1/accounts/instagram/authorize-url').set(user.auth)).body;

      await postgres.stop();
      // The browser's callback cannot get the JSON envelope: its answer names the outage, not an error of ours.
      const callback = await h.request.get('/api/v1/oauth/instagram/callback').query({ code: 'any', state });
      expect(callback.text).toContain('SERVICE_UNAVAILABLE');
      expectServiceUnavailable(await h.request.get('/api/v1/accounts').set(user.auth));
      expectServiceUnavailable(await h.request.get('/api/v1/notifications').set(user.auth));
      expectServiceUnavailable(
        await h.request.post('/api/v1/auth/login').send({ email: user.email, password: user.password }),
      );
      // What needs neither still answers; readiness names the dependency.
      expect((await h.request.get('/api/v1/openapi.json')).status).toBe(200);
      const ready = await h.request.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.unavailable).toContain('postgres');
      // One warning for the three requests (once per 10 s), with the code and never the SQL.
      const warnings = h.logs.lines.filter((line) => line.msg === 'dependency unavailable');
      expect(warnings).toEqual([
        expect.objectContaining({
          dependency: 'postgres',
          err: expect.objectContaining({ code: 'ECONNREFUSED' }),
          requests: 1,
        }),
      ]);
      const answered = h.logs.lines.filter(
        (line) => line.msg === 'request' && line.status === 503 && String(line.path).startsWith('/api/'),
      );
      expect(answered).toHaveLength(4);
      expect(h.logs.lines.filter((line) => line.msg === 'unhandled error')).toEqual([]);

      await postgres.start();
      expect((await h.request.get('/api/v1/accounts').set(user.auth)).status).toBe(200);
    });

    it('an error without a code of its own is 503 while the database probe fails, 500 while it answers', async () => {
      const app = new Koa<AppState>();
      app.use((ctx, next) => {
        ctx.state.requestId = 'test-request';
        ctx.state.log = createLogger({ level: 'silent', name: 'test' });
        return next();
      });
      app.use(errorHandler({ probeDatabase: () => db.orm.em.getConnection().execute('select 1') }));
      app.use(() => {
        // What pg throws when a connection is cut mid-query: no code to recognise it by.
        throw new Error('Connection terminated unexpectedly');
      });
      const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        const request = supertest(server);
        expect((await request.get('/')).status).toBe(500);
        await postgres.stop();
        expectServiceUnavailable(await request.get('/'));
      } finally {
        await postgres.start();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe('Temporal unreachable', () => {
    let db: TestDatabase;
    let h: ApiHarness;

    beforeAll(async () => {
      db = await createTestDatabase();
      const connection = await Connection.lazy(apiConnectionOptions(`127.0.0.1:${await findFreePort()}`));
      const temporal = {
        client: new Client({ connection }),
        nativeConnection: null as never,
        close: () => connection.close(),
      };
      const sim = createSimulator({ accountsPerPlatform: 2, apps: simulatorAppsFor(makeTestConfig()) });
      await sim.start();
      h = await startApiHarness({ label: 'temporal-outage', shared: { db, temporal, sim } });
    });
    afterAll(async () => {
      // A route answers at its first failed call; calls it ran beside it (the schedules are described in
      // parallel) retry for about a second more, and must not meet a closed connection.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await h?.close();
      await Promise.allSettled([h?.sim.stop(), h?.temporal.close(), db?.drop()]);
    });

    it('starting or reading a workflow answers 503 with Retry-After; reads from PostgreSQL still work', async () => {
      const user = await signUpVerified(h);
      expect((await connectSimAccount(h, user, 'tiktok', simAccountId(h, 'tiktok', 0))).status).toBe(201);
      expectServiceUnavailable(await h.request.post('/api/v1/tiktok/sync').set(user.auth).send({}));
      expect((await h.request.get('/api/v1/accounts').set(user.auth)).status).toBe(200);
      const admin = await createAdmin(h);
      expectServiceUnavailable(await h.request.get('/api/v1/admin/schedules').set(admin.auth));
    });
  });
});
