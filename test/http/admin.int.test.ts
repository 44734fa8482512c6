import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { SocialAccount, TokenRefreshAttempt, type RefreshOutcome } from '../../src/db/entities';
import { ensureSchedules } from '../../src/temporal/schedules';
import { SCHEDULE_IDS } from '../../workflows/contract';
import { createAdmin, signUpVerified, startApiHarness, type ApiHarness, type TestUser } from '../helpers/api';
import { appendEvent } from '../../src/webhooks/outbox';
import { insertAccount, insertUser } from '../helpers/accounts';

jest.setTimeout(120_000);

/** Polls `read` until `accept` holds (visibility and schedule info are eventually consistent). */
async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe('admin routes (real PostgreSQL, Temporal dev server schedules and visibility)', () => {
  // Schedules of this file only: the dev server is shared with other test files.
  const idPrefix = `test-${randomUUID().slice(0, 8)}-`;
  const refreshScheduleId = `${idPrefix}${SCHEDULE_IDS.tokenRefresh}`;
  const syncScheduleId = `${idPrefix}${SCHEDULE_IDS.dataSync}`;
  /** Configured for the routes but never created (as before a worker's first start). */
  const missingScheduleId = `${idPrefix}never-created`;
  let h: ApiHarness;
  let admin: TestUser;
  let user: TestUser;
  const startedWorkflowIds = new Set<string>();

  beforeAll(async () => {
    h = await startApiHarness({
      label: 'admin',
      scheduleIds: [refreshScheduleId, syncScheduleId, missingScheduleId],
    });
    await ensureSchedules(h.temporal.client, h.config, h.logs.logger, { idPrefix });
    [admin, user] = await Promise.all([createAdmin(h), signUpVerified(h)]);
  });

  afterAll(async () => {
    for (const id of [refreshScheduleId, syncScheduleId])
      await h.temporal.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    for (const id of startedWorkflowIds)
      await h.temporal.client.workflow
        .getHandle(id)
        .terminate('test done')
        .catch(() => undefined);
    await h?.close();
  });

  const cron = () => ({ 'X-Cron-Secret': h.config.auth.cronJobSecret });

  it.each([
    ['POST', '/admin/refresh-tokens'],
    ['POST', '/admin/sync-data'],
    ['GET', '/admin/schedules'],
    ['POST', `/admin/schedules/x/pause`],
    ['GET', '/admin/stats'],
    ['GET', '/admin/webhooks'],
    ['POST', `/admin/webhooks/${randomUUID()}/retry`],
  ])(
    '%s %s: 401 without credentials, 403 for a non-admin, 401 for a wrong cron secret',
    async (method, path) => {
      const call = () =>
        method === 'GET' ? h.request.get(`/api/v1${path}`) : h.request.post(`/api/v1${path}`);
      expect((await call()).body.error).toBe('UNAUTHENTICATED');
      const asUser = await call().set(user.auth);
      expect(asUser.status).toBe(403);
      expect(asUser.body.error).toBe('FORBIDDEN');
      expect((await call().set('X-Cron-Secret', 'wrong-secret-wrong-secret')).status).toBe(401);
    },
  );

  it('starts a fleet token refresh (202), returns the running one to a second request, tags it TriggeredBy=admin', async () => {
    const first = await h.request
      .post('/api/v1/admin/refresh-tokens')
      .set(admin.auth)
      .send({ windowDays: 3 });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      workflowId: 'refresh-expiring-tokens-on-demand',
      type: 'refreshExpiringTokensWorkflow',
      status: 'RUNNING',
    });
    startedWorkflowIds.add(first.body.workflowId);
    const second = await h.request.post('/api/v1/admin/refresh-tokens').set(cron());
    expect(second.body.runId).toBe(first.body.runId);
    const description = await h.temporal.client.workflow.getHandle(first.body.workflowId).describe();
    expect(description.taskQueue).toBe(h.config.temporal.taskQueue);
    expect(description.typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value])).toEqual([
      ['TriggeredBy', 'admin'],
    ]);
    expect(await startInput(first.body.workflowId)).toEqual({ windowDays: 3, triggeredBy: 'admin' });
    const status = await h.request.get(first.body.statusUrl).set(admin.auth);
    expect(status.body).toMatchObject({
      status: 'RUNNING',
      type: 'refreshExpiringTokensWorkflow',
      triggeredBy: 'admin',
    });
  });

  it('starts a fleet data sync with its JSON options (202) and validates them (400)', async () => {
    const res = await h.request
      .post('/api/v1/admin/sync-data')
      .set(cron())
      .send({ platform: 'tiktok', minAgeHours: 0, concurrency: 5 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      workflowId: 'sync-all-accounts-on-demand',
      type: 'syncAllAccountsWorkflow',
    });
    startedWorkflowIds.add(res.body.workflowId);
    expect(await startInput(res.body.workflowId)).toEqual({
      platform: 'tiktok',
      minAgeHours: 0,
      concurrency: 5,
      triggeredBy: 'admin',
    });
    const bad = await h.request
      .post('/api/v1/admin/sync-data')
      .set(admin.auth)
      .send({ platform: 'myspace', minAgeHours: -1, extra: true });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining(['body.platform', 'body.minAgeHours', 'body']),
    );
  });

  it('lists both schedules with cron, timezone, paused, next runs and recent runs', async () => {
    const res = await h.request.get('/api/v1/admin/schedules').set(admin.auth);
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.schedules.map((s: { id: string }) => [s.id, s]));
    expect(byId[refreshScheduleId]).toMatchObject({
      workflowType: 'refreshExpiringTokensWorkflow',
      cron: ['0 2 * * *'],
      timezone: 'UTC',
      paused: false,
      overlap: 'SKIP',
      recentRuns: [],
    });
    expect(byId[syncScheduleId]).toMatchObject({
      workflowType: 'syncAllAccountsWorkflow',
      cron: ['0 3 * * *'],
      paused: false,
    });
    const nextRun = new Date(byId[syncScheduleId].nextRuns[0]);
    expect(nextRun.getUTCHours()).toBe(3);
    expect(nextRun.getUTCMinutes()).toBe(0);
    expect(nextRun.getTime()).toBeGreaterThan(Date.now());
  });

  it('triggers a schedule now (202): the run appears among its recent runs with its status', async () => {
    const res = await h.request.post(`/api/v1/admin/schedules/${syncScheduleId}/trigger`).set(admin.auth);
    expect(res.status).toBe(202);
    const schedule = await eventually(
      async () =>
        (await h.request.get('/api/v1/admin/schedules').set(admin.auth)).body.schedules.find(
          (s: { id: string }) => s.id === syncScheduleId,
        ),
      (s) => s.recentRuns.length > 0,
    );
    expect(schedule.recentRuns[0]).toMatchObject({
      workflowId: expect.stringContaining(`${idPrefix}sync-all-accounts`),
      status: 'RUNNING',
    });
    startedWorkflowIds.add(schedule.recentRuns[0].workflowId);
  });

  it('pauses with a note and unpauses', async () => {
    const paused = await h.request
      .post(`/api/v1/admin/schedules/${refreshScheduleId}/pause`)
      .set(admin.auth)
      .send({ note: 'maintenance window' });
    expect(paused.status).toBe(200);
    expect(paused.body.schedule).toMatchObject({
      id: refreshScheduleId,
      paused: true,
      note: 'maintenance window',
    });
    const resumed = await h.request.post(`/api/v1/admin/schedules/${refreshScheduleId}/unpause`).set(cron());
    expect(resumed.status).toBe(200);
    expect(resumed.body.schedule.paused).toBe(false);
    expect(resumed.body.schedule.note).toBe('unpause via API by cron');
  });

  it('answers 404 for a schedule it does not manage and 400 for a malformed id', async () => {
    const unknown = await h.request
      .post('/api/v1/admin/schedules/token-refresh-elsewhere/trigger')
      .set(admin.auth);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('NOT_FOUND');
    const malformed = await h.request.post('/api/v1/admin/schedules/a%20b/pause').set(admin.auth);
    expect(malformed.status).toBe(400);
  });

  it('leaves a configured schedule that does not exist out of the list, and answers 404 to its actions', async () => {
    const list = await h.request.get('/api/v1/admin/schedules').set(admin.auth);
    expect(list.status).toBe(200);
    expect(list.body.schedules.map((s: { id: string }) => s.id).sort()).toEqual(
      [refreshScheduleId, syncScheduleId].sort(),
    );
    for (const action of ['trigger', 'pause', 'unpause']) {
      const res = await h.request
        .post(`/api/v1/admin/schedules/${missingScheduleId}/${action}`)
        .set(admin.auth);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'NOT_FOUND', message: `No schedule "${missingScheduleId}".` });
    }
  });

  it('gives stats: accounts by status and platform, the 7-day refresh success rate, the last fleet runs with durations', async () => {
    const owner = await insertUser(h.db.orm);
    const statuses = [
      ['instagram', 'active'],
      ['instagram', 'active'],
      ['instagram', 'reauth_required'],
      ['tiktok', 'active'],
      ['tiktok', 'expired'],
    ] as const;
    const accounts: SocialAccount[] = [];
    for (const [platform, status] of statuses) {
      const account = await insertAccount(h.db.orm, h.cipher, {
        owner,
        platform,
        accessToken: 'tok',
        accessExpiresAt: new Date(Date.now() + 86_400_000),
      });
      await h.db.orm.em.fork().nativeUpdate(SocialAccount, { id: account.id }, { status });
      accounts.push(account);
    }
    const attempts: [RefreshOutcome, number][] = [
      ['refreshed', 1],
      ['refreshed', 2],
      ['refreshed', 3],
      ['failed', 1],
      ['skipped', 1], // neither success nor failure
      ['failed', 9], // older than 7 days: not counted
    ];
    const em = h.db.orm.em.fork();
    for (const [outcome, daysAgo] of attempts) {
      em.create(TokenRefreshAttempt, {
        account: accounts[0],
        platform: 'instagram',
        outcome,
        trigger: 'fleet',
        createdAt: new Date(Date.now() - daysAgo * 86_400_000),
      });
    }
    await em.flush();

    const res = await eventually(
      () => h.request.get('/api/v1/admin/stats').set(admin.auth),
      (r) =>
        r.body.fleetRuns?.sync.some(
          (run: { workflowId: string }) => run.workflowId === 'sync-all-accounts-on-demand',
        ),
    );
    expect(res.status).toBe(200);
    expect(res.body.accounts).toEqual({
      total: 5,
      byStatus: { active: 3, reauth_required: 1, expired: 1 },
      byPlatform: { instagram: { active: 2, reauth_required: 1 }, tiktok: { active: 1, expired: 1 } },
    });
    expect(res.body.tokenRefresh).toMatchObject({
      days: 7,
      attempts: 5,
      byOutcome: { refreshed: 3, failed: 1, skipped: 1 },
      successRate: 0.75,
    });
    const run = res.body.fleetRuns.sync.find(
      (r: { workflowId: string }) => r.workflowId === 'sync-all-accounts-on-demand',
    );
    expect(run).toMatchObject({
      type: 'syncAllAccountsWorkflow',
      status: expect.any(String),
      startedAt: expect.any(String),
    });
    expect(
      res.body.fleetRuns.refresh.some(
        (r: { workflowId: string }) => r.workflowId === 'refresh-expiring-tokens-on-demand',
      ),
    ).toBe(true);
  });

  it('reports a closed fleet run with its duration', async () => {
    const handle = h.temporal.client.workflow.getHandle('refresh-expiring-tokens-on-demand');
    await handle.terminate('closing it for the stats');
    const res = await eventually(
      () => h.request.get('/api/v1/admin/stats').set(admin.auth),
      (r) =>
        r.body.fleetRuns.refresh.some(
          (run: { workflowId: string; status: string }) =>
            run.workflowId === 'refresh-expiring-tokens-on-demand' && run.status === 'TERMINATED',
        ),
    );
    const run = res.body.fleetRuns.refresh.find(
      (r: { workflowId: string }) => r.workflowId === 'refresh-expiring-tokens-on-demand',
    );
    expect(run).toMatchObject({ status: 'TERMINATED', closedAt: expect.any(String) });
    expect(run.durationMs).toBe(new Date(run.closedAt).getTime() - new Date(run.startedAt).getTime());
  });

  it('adds data freshness per platform to the stats: aged accounts move the numbers', async () => {
    const owner = await insertUser(h.db.orm);
    const knex = h.db.orm.em.getKnex();
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);
    const add = async (platform: 'instagram' | 'tiktok', lastSyncedAt: Date | null) =>
      (
        await insertAccount(h.db.orm, h.cipher, {
          owner,
          platform,
          accessToken: 'tok',
          accessExpiresAt: new Date(Date.now() + 86_400_000),
          lastSyncedAt,
        })
      ).id;
    // Besides the accounts of the test above (active ones connected just now, never synced: fresh).
    await add('instagram', hoursAgo(10));
    const igOld = await add('instagram', hoursAgo(30));
    await add('tiktok', hoursAgo(2));
    const ttNew = await add('tiktok', null);
    const freshness = async () => (await h.request.get('/api/v1/admin/stats').set(admin.auth)).body.freshness;
    const age = (hours: number) => expect.closeTo(hours * 3600, -2); // within 50 s

    const before = await freshness();
    expect(before.staleAfterHours).toBe(36);
    expect(before.byPlatform.instagram).toEqual({
      active: 4,
      syncedWithin24h: 1,
      stale: 0,
      oldestSyncAgeSeconds: age(30),
    });
    expect(before.byPlatform.tiktok).toEqual({
      active: 3,
      syncedWithin24h: 1,
      stale: 0,
      oldestSyncAgeSeconds: age(2),
    });

    // The Instagram account's last sync 40 hours ago; the TikTok one connected 50 hours ago, never synced.
    await knex('social_accounts')
      .where({ id: igOld })
      .update({ last_synced_at: hoursAgo(40) });
    await knex('social_accounts')
      .where({ id: ttNew })
      .update({ created_at: hoursAgo(50) });
    const after = await freshness();
    expect(after.byPlatform.instagram).toMatchObject({ stale: 1, oldestSyncAgeSeconds: age(40) });
    expect(after.byPlatform.tiktok).toMatchObject({
      stale: 1,
      syncedWithin24h: 1,
      oldestSyncAgeSeconds: age(50),
    });

    // Taken out of service: no longer counted.
    await knex('social_accounts').where({ id: ttNew }).update({ status: 'reauth_required' });
    expect((await freshness()).byPlatform.tiktok).toMatchObject({ active: 2, stale: 0 });
  });

  it('shows data event deliveries and retries a dead one; both routes are in the OpenAPI document', async () => {
    const knex = h.db.orm.em.getKnex();
    const event = (accountId: string) => ({
      kind: 'account.disconnected' as const,
      data: { accountId, ownerId: 'o', platform: 'tiktok', disconnectedAt: new Date().toISOString() },
    });
    const [a, b] = [randomUUID(), randomUUID()];
    const pending = (await appendEvent(knex, a, event(a)))!;
    const delivered = (await appendEvent(knex, a, event(a)))!;
    const dead = (await appendEvent(knex, b, event(b)))!;
    await knex('outbox')
      .where({ id: pending })
      .update({
        created_at: new Date(Date.now() - 600_000),
        attempts: 2,
        last_error: 'HTTP_503',
        last_attempt_at: new Date(Date.now() - 300_000),
      });
    await knex('outbox').where({ id: delivered }).update({ status: 'delivered', delivered_at: new Date() });
    const failedAt = new Date();
    await knex('outbox').where({ id: dead }).update({
      status: 'dead',
      attempts: 1,
      last_error: 'HTTP_410',
      last_http_status: 410,
      last_attempt_at: failedAt,
    });

    const res = await h.request.get('/api/v1/admin/webhooks').set(admin.auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      configured: false,
      events: ['account.synced', 'account.reauth_required', 'account.disconnected', 'fleet.stale_accounts'],
      counts: { pending: 1, delivered: 1, dead: 1, skipped: 0 },
      oldestPendingAgeSeconds: expect.closeTo(600, -2),
      lastError: {
        eventId: dead,
        error: 'HTTP_410',
        httpStatus: 410,
        status: 'dead',
        at: failedAt.toISOString(),
      },
      dead: [{ id: dead, kind: 'account.disconnected', accountId: b, attempts: 1, lastError: 'HTTP_410' }],
    });

    const retried = await h.request.post(`/api/v1/admin/webhooks/${dead}/retry`).set(cron());
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual({ id: dead, status: 'pending' });
    expect(await knex('outbox').where({ id: dead }).first()).toMatchObject({ status: 'pending' });
    const again = await h.request.post(`/api/v1/admin/webhooks/${dead}/retry`).set(admin.auth);
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('CONFLICT');
    const unknown = await h.request.post(`/api/v1/admin/webhooks/${randomUUID()}/retry`).set(admin.auth);
    expect(unknown.status).toBe(404);
    const malformed = await h.request.post('/api/v1/admin/webhooks/not-an-id/retry').set(admin.auth);
    expect(malformed.status).toBe(400);
    const badLimit = await h.request.get('/api/v1/admin/webhooks?limit=0').set(admin.auth);
    expect(badLimit.status).toBe(400);

    const doc = (await h.request.get('/api/v1/openapi.json')).body;
    const list = doc.paths['/api/v1/admin/webhooks'].get;
    expect(Object.keys(list.responses['200'].content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['counts', 'oldestPendingAgeSeconds', 'lastError', 'dead']),
    );
    expect(doc.paths['/api/v1/admin/webhooks/{id}/retry'].post.responses).toHaveProperty('409');
    const stats = doc.paths['/api/v1/admin/stats'].get.responses['200'].content['application/json'].schema;
    expect(stats.properties).toHaveProperty('freshness');
  });

  async function startInput(workflowId: string): Promise<unknown> {
    const history = await h.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    return defaultPayloadConverter.fromPayload(payloads[0]);
  }
});
