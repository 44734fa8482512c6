import type { Worker } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { createActivities } from '../../activities';
import { SocialAccount } from '../../src/db/entities';
import { workflowStatusSchema } from '../../src/http/schemas';
import { createWorkerMetrics } from '../../src/metrics/worker-metrics';
import { createPlatformClients } from '../../src/platforms';
import { makeSyncAccountWorkflowId, SYNC_ACCOUNT_FAILED_TYPE } from '../../workflows/contract';
import {
  connectSimAccount,
  createAdmin,
  readLatestOtp,
  signUpVerified,
  simAccountId,
  startApiHarness,
  type ApiHarness,
  type TestUser,
} from '../helpers/api';
import { createTestWorker } from '../helpers/temporal';

/** Polls a status URL until the workflow leaves RUNNING (generous: a loaded 2-core machine is slow). */
async function waitUntilClosed(
  h: ApiHarness,
  statusUrl: string,
  auth: Record<string, string>,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await h.request.get(statusUrl).set(auth);
    if (res.status !== 200) throw new Error(`status answered ${res.status}: ${JSON.stringify(res.body)}`);
    if (res.body.status !== 'RUNNING') return res.body;
    if (Date.now() > deadline)
      throw new Error(`still RUNNING after ${timeoutMs} ms: ${JSON.stringify(res.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// The integration project's testTimeout does not reach test files (jest reads it globally): set it here.
jest.setTimeout(120_000);

describe('on-demand workflows and their status (real worker, PostgreSQL, Redis, Temporal, simulator)', () => {
  let h: ApiHarness;
  let worker: Worker;
  let workerRun: Promise<void>;
  let workerRedis: Redis;

  beforeAll(async () => {
    h = await startApiHarness({ label: 'workflows' });
    workerRedis = new Redis(h.config.redis.url);
    worker = await createTestWorker({
      connection: h.temporal.nativeConnection,
      taskQueue: h.config.temporal.taskQueue,
      activities: createActivities({
        config: h.config,
        logger: h.logs.logger,
        orm: h.db.orm,
        redis: workerRedis,
        cipher: h.cipher,
        platforms: createPlatformClients(h.config, { logger: h.logs.logger }),
        metrics: createWorkerMetrics(),
        now: () => new Date(),
      }),
    });
    workerRun = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await workerRun?.catch(() => undefined);
    workerRedis?.disconnect();
    await h?.close();
  });

  it('end to end: sign up, verify with the mailed code, connect, sync, poll to COMPLETED, read posts and history', async () => {
    const email = `e2e-${Date.now()}@socialsync.test`;
    const signup = await h.request
      .post('/api/v1/auth/signup/influencer')
      .send({ email, password: 'end to end pw', name: 'E2E' });
    expect(signup.status).toBe(201);
    const otp = await readLatestOtp(h.outboxFile, email);
    const verified = await h.request.post('/api/v1/auth/verify-otp').send({ email, otp });
    expect(verified.status).toBe(200);
    const user: TestUser = {
      id: verified.body.user.id,
      email,
      password: '',
      token: verified.body.token,
      auth: { Authorization: `Bearer ${verified.body.token}` },
    };
    const externalId = simAccountId(h, 'tiktok', 0);
    const connected = await connectSimAccount(h, user, 'tiktok', externalId);
    expect(connected.status).toBe(201);
    const accountId = connected.body.account.id as string;

    const started = await h.request.post('/api/v1/tiktok/sync').set(user.auth);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      workflowId: makeSyncAccountWorkflowId(accountId),
      runId: expect.any(String),
      type: 'syncAccountWorkflow',
      status: 'RUNNING',
      statusUrl: `/api/v1/workflows/${makeSyncAccountWorkflowId(accountId)}`,
    });

    const closed = await waitUntilClosed(h, started.body.statusUrl, user.auth);
    expect(workflowStatusSchema.safeParse(closed).success).toBe(true);
    expect(closed).toMatchObject({
      status: 'COMPLETED',
      type: 'syncAccountWorkflow',
      accountId,
      platform: 'tiktok',
      triggeredBy: 'api',
      error: null,
      result: { accountId, outcome: 'synced' },
    });
    expect(closed.closedAt).toEqual(expect.any(String));

    const simPosts = h.sim.control.listPosts('tiktok', externalId).length;
    const posts = await h.request.get(`/api/v1/accounts/${accountId}/posts?limit=100`).set(user.auth);
    expect(posts.status).toBe(200);
    expect(posts.body.posts.length).toBe(Math.min(simPosts, h.config.sync.postsLimit));
    expect(posts.body.posts.length).toBe(closed.result.postsSynced);
    const history = await h.request.get(`/api/v1/accounts/${accountId}/history`).set(user.auth);
    expect(history.body.snapshots).toHaveLength(1);
    expect(history.body.snapshots[0]).toMatchObject({
      day: new Date().toISOString().slice(0, 10),
      followers: h.sim.control.getAccount('tiktok', externalId).followers,
    });
    const account = await h.request.get(`/api/v1/accounts/${accountId}`).set(user.auth);
    expect(account.body.account.lastSyncedAt).toEqual(expect.any(String));
  });

  it('returns the running sync (same run) to a second request, with live progress while it runs', async () => {
    const user = await signUpVerified(h);
    const externalId = simAccountId(h, 'instagram', 1);
    const connected = await connectSimAccount(h, user, 'instagram', externalId);
    // Slow the platform so the first run is certainly still running when the second request comes.
    h.sim.control.setFaults({ all: { latencyMs: 1500 } });
    try {
      const first = await h.request.post('/api/v1/instagram/sync').set(user.auth);
      const second = await h.request.post('/api/v1/instagram/sync').set(user.auth);
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.body.workflowId).toBe(first.body.workflowId);
      expect(second.body.runId).toBe(first.body.runId);
      const running = await h.request.get(first.body.statusUrl).set(user.auth);
      expect(running.body.status).toBe('RUNNING');
      expect(running.body.progress).toMatchObject({
        accountId: connected.body.account.id,
        stage: expect.any(String),
      });
    } finally {
      h.sim.control.clearFaults();
    }
    const closed = await waitUntilClosed(
      h,
      `/api/v1/workflows/${makeSyncAccountWorkflowId(connected.body.account.id)}`,
      user.auth,
    );
    expect(closed.status).toBe('COMPLETED');
  });

  it('answers 404 when you have no account on the platform, and for an accountId that is not yours', async () => {
    const [user, other] = await Promise.all([signUpVerified(h), signUpVerified(h)]);
    const none = await h.request.post('/api/v1/tiktok/sync').set(user.auth);
    expect(none.status).toBe(404);
    expect(none.body.error).toBe('NOT_FOUND');
    const othersAccount = await connectSimAccount(h, other, 'tiktok', simAccountId(h, 'tiktok', 2));
    const notYours = await h.request
      .post('/api/v1/tiktok/sync')
      .set(user.auth)
      .send({ accountId: othersAccount.body.account.id });
    expect(notYours.status).toBe(404);
  });

  it('answers 409 REAUTH_REQUIRED for an account that needs re-authorisation', async () => {
    const user = await signUpVerified(h);
    const connected = await connectSimAccount(h, user, 'tiktok', simAccountId(h, 'tiktok', 3));
    await h.db.orm.em
      .fork()
      .nativeUpdate(SocialAccount, { id: connected.body.account.id }, { status: 'reauth_required' });
    const res = await h.request.post('/api/v1/tiktok/sync').set(user.auth);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      error: 'REAUTH_REQUIRED',
      details: { accountId: connected.body.account.id, status: 'reauth_required' },
    });
  });

  it("shows a workflow only to its account's owner (others 404), to admins and to cron callers", async () => {
    const [owner, stranger] = await Promise.all([signUpVerified(h), signUpVerified(h)]);
    const admin = await createAdmin(h);
    const connected = await connectSimAccount(h, owner, 'tiktok', simAccountId(h, 'tiktok', 4));
    const started = await h.request.post('/api/v1/tiktok/sync').set(owner.auth);
    await waitUntilClosed(h, started.body.statusUrl, owner.auth);
    expect((await h.request.get(started.body.statusUrl).set(stranger.auth)).status).toBe(404);
    const asAdmin = await h.request.get(started.body.statusUrl).set(admin.auth);
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.accountId).toBe(connected.body.account.id);
    const asCron = await h.request
      .get(started.body.statusUrl)
      .set('X-Cron-Secret', h.config.auth.cronJobSecret);
    expect(asCron.status).toBe(200);
    const unknown = await h.request.get('/api/v1/workflows/sync-account-does-not-exist').set(admin.auth);
    expect(unknown.status).toBe(404);
    expect((await h.request.get(started.body.statusUrl)).status).toBe(401);
  });

  it('lets a cron caller sync a named account (TriggeredBy admin), requires the accountId, and refuses a wrong secret', async () => {
    const owner = await signUpVerified(h);
    const connected = await connectSimAccount(h, owner, 'instagram', simAccountId(h, 'instagram', 5));
    const cron = { 'X-Cron-Secret': h.config.auth.cronJobSecret };
    const started = await h.request
      .post('/api/v1/instagram/sync')
      .set(cron)
      .send({ accountId: connected.body.account.id });
    expect(started.status).toBe(202);
    const closed = await waitUntilClosed(h, started.body.statusUrl, cron);
    expect(closed).toMatchObject({ status: 'COMPLETED', triggeredBy: 'admin' });
    const missing = await h.request.post('/api/v1/instagram/sync').set(cron);
    expect(missing.status).toBe(400);
    expect(missing.body.details).toEqual([expect.objectContaining({ field: 'body.accountId' })]);
    const wrong = await h.request
      .post('/api/v1/instagram/sync')
      .set('X-Cron-Secret', 'not-the-secret-at-all')
      .send({ accountId: connected.body.account.id });
    expect(wrong.status).toBe(401);
  });

  it('reports a failed sync as FAILED with the failure type and a safe message naming the platform code', async () => {
    const owner = await signUpVerified(h);
    const connected = await connectSimAccount(h, owner, 'tiktok', simAccountId(h, 'tiktok', 1));
    h.sim.control.setFaults({ endpoints: { 'tiktok.user_info': { errorRate: 1, errorKind: 'http' } } });
    try {
      const started = await h.request.post('/api/v1/tiktok/sync').set(owner.auth);
      const closed = await waitUntilClosed(h, started.body.statusUrl, owner.auth);
      expect(closed).toMatchObject({
        status: 'FAILED',
        accountId: connected.body.account.id,
        result: null,
        error: { code: SYNC_ACCOUNT_FAILED_TYPE, message: expect.stringMatching(/HTTP_5\d\d/) },
      });
      const row = await h.db.orm.em
        .fork()
        .findOneOrFail(SocialAccount, { id: connected.body.account.id }, { populate: ['accessTokenEnc'] });
      expect(JSON.stringify(closed)).not.toContain(h.cipher.decrypt(row.accessTokenEnc!));
    } finally {
      h.sim.control.clearFaults();
    }
  });

  it('reports a terminated run as TERMINATED with a safe error code', async () => {
    const owner = await signUpVerified(h);
    const connected = await connectSimAccount(h, owner, 'tiktok', simAccountId(h, 'tiktok', 5));
    h.sim.control.setFaults({ all: { latencyMs: 3000 } });
    try {
      const started = await h.request.post('/api/v1/tiktok/sync').set(owner.auth);
      await h.temporal.client.workflow.getHandle(started.body.workflowId).terminate('test: operator stop');
      const res = await h.request.get(started.body.statusUrl).set(owner.auth);
      expect(res.body).toMatchObject({
        status: 'TERMINATED',
        accountId: connected.body.account.id,
        result: null,
        error: { code: 'WORKFLOW_TERMINATED', message: expect.any(String) },
      });
    } finally {
      h.sim.control.clearFaults();
    }
  });
});
