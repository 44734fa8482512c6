import { AccountSnapshot, Notification, Post, SocialAccount, User } from '../../src/db/entities';
import { accountSchema } from '../../src/http/schemas';
import {
  connectSimAccount,
  signUpVerified,
  simAccountId,
  startApiHarness,
  type ApiHarness,
  type TestUser,
} from '../helpers/api';

// The integration project's testTimeout does not reach test files (jest reads it globally): set it here.
jest.setTimeout(120_000);

describe('accounts and notifications routes (real PostgreSQL, Redis, Temporal, simulator)', () => {
  let h: ApiHarness;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    h = await startApiHarness({ label: 'accounts' });
    [alice, bob] = await Promise.all([signUpVerified(h), signUpVerified(h)]);
  });
  afterAll(() => h?.close());

  const em = () => h.db.orm.em.fork();

  describe('authorize-url', () => {
    it.each(['instagram', 'tiktok'] as const)(
      'gives the %s consent URL carrying a signed state',
      async (platform) => {
        const res = await h.request.get(`/api/v1/accounts/${platform}/authorize-url`).set(alice.auth);
        expect(res.status).toBe(200);
        const url = new URL(res.body.url);
        expect(url.searchParams.get('state')).toBe(res.body.state);
        expect(res.body.state.split('.')).toHaveLength(3);
      },
    );

    it('answers 400 naming the platform for an unknown one', async () => {
      const res = await h.request.get('/api/v1/accounts/myspace/authorize-url').set(alice.auth);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        error: 'VALIDATION_FAILED',
        details: [expect.objectContaining({ field: 'params.platform' })],
      });
    });
  });

  describe('connect', () => {
    it('exchanges the code, stores encrypted tokens and answers 201 with the account (no token in it)', async () => {
      const externalId = simAccountId(h, 'tiktok', 0);
      const res = await connectSimAccount(h, alice, 'tiktok', externalId);
      expect(res.status).toBe(201);
      expect(accountSchema.safeParse(res.body.account).success).toBe(true);
      expect(res.body).toMatchObject({
        reconnected: false,
        account: { platform: 'tiktok', externalId, status: 'active' },
      });
      const simAccount = h.sim.control.getAccount('tiktok', externalId);
      expect(res.body.account.username).toBe(simAccount.username);
      const row = await em().findOneOrFail(
        SocialAccount,
        { externalId },
        { populate: ['accessTokenEnc', 'refreshTokenEnc'] },
      );
      expect(row.accessTokenEnc).toMatch(/^v1\./);
      expect(row.refreshTokenEnc).toMatch(/^v1\./);
      expect(h.cipher.decrypt(row.accessTokenEnc!).length).toBeGreaterThan(10);
      expect(JSON.stringify(res.body)).not.toContain(h.cipher.decrypt(row.accessTokenEnc!));
    });

    it('reconnecting your own account replaces its tokens and makes it active again', async () => {
      const externalId = simAccountId(h, 'instagram', 0);
      const first = await connectSimAccount(h, alice, 'instagram', externalId);
      expect(first.status).toBe(201);
      await em().nativeUpdate(
        SocialAccount,
        { id: first.body.account.id },
        { status: 'reauth_required', lastErrorCode: 'IG_190' },
      );
      const before = await em().findOneOrFail(
        SocialAccount,
        { id: first.body.account.id },
        { populate: ['accessTokenEnc'] },
      );
      const again = await connectSimAccount(h, alice, 'instagram', externalId);
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({
        reconnected: true,
        account: { id: first.body.account.id, status: 'active', lastErrorCode: null },
      });
      const after = await em().findOneOrFail(
        SocialAccount,
        { id: first.body.account.id },
        { populate: ['accessTokenEnc'] },
      );
      expect(after.accessTokenEnc).not.toBe(before.accessTokenEnc);
    });

    it('answers 409 ACCOUNT_ALREADY_CONNECTED for an account another user holds, leaving it untouched', async () => {
      const externalId = simAccountId(h, 'tiktok', 0);
      const owner = await em().findOneOrFail(SocialAccount, { externalId }, { populate: ['accessTokenEnc'] });
      const res = await connectSimAccount(h, bob, 'tiktok', externalId);
      expect(res.status).toBe(409);
      expect(res.body.error).toBe('ACCOUNT_ALREADY_CONNECTED');
      const still = await em().findOneOrFail(
        SocialAccount,
        { externalId },
        { populate: ['accessTokenEnc', 'owner'] },
      );
      expect(still.owner.id).toBe(alice.id);
      expect(still.accessTokenEnc).toBe(owner.accessTokenEnc);
    });

    it("answers 400 INVALID_STATE for a forged state, another user's state and another platform's state", async () => {
      const { code } = h.sim.control.issueAuthCode('tiktok', simAccountId(h, 'tiktok', 1));
      const bobState = (await h.request.get('/api/v1/accounts/tiktok/authorize-url').set(bob.auth)).body
        .state;
      const instagramState = (await h.request.get('/api/v1/accounts/instagram/authorize-url').set(alice.auth))
        .body.state;
      for (const state of ['not-a-state', bobState, instagramState]) {
        const res = await h.request
          .post('/api/v1/accounts/tiktok/connect')
          .set(alice.auth)
          .send({ code, state });
        expect(res.status).toBe(400);
        expect(res.body.error).toBe('INVALID_STATE');
      }
    });

    it('answers 400 INVALID_OAUTH_CODE when the platform refuses the code', async () => {
      const { state } = (await h.request.get('/api/v1/accounts/tiktok/authorize-url').set(alice.auth)).body;
      const res = await h.request
        .post('/api/v1/accounts/tiktok/connect')
        .set(alice.auth)
        .send({ code: 'made-up-code', state });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('INVALID_OAUTH_CODE');
    });

    it('answers 502 PLATFORM_ERROR when the platform fails, without storing anything', async () => {
      const externalId = simAccountId(h, 'tiktok', 2);
      h.sim.control.setFaults({ endpoints: { 'tiktok.user_info': { errorRate: 1, errorKind: 'http' } } });
      try {
        const res = await connectSimAccount(h, bob, 'tiktok', externalId);
        expect(res.status).toBe(502);
        expect(res.body.error).toBe('PLATFORM_ERROR');
      } finally {
        h.sim.control.clearFaults();
      }
      expect(await em().count(SocialAccount, { externalId })).toBe(0);
    });

    it('answers 401 without a token', async () => {
      const res = await h.request.post('/api/v1/accounts/tiktok/connect').send({ code: 'x', state: 'y' });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('UNAUTHENTICATED');
    });
  });

  describe('reading accounts, posts and history', () => {
    let account: SocialAccount;
    beforeAll(async () => {
      const res = await connectSimAccount(h, bob, 'instagram', simAccountId(h, 'instagram', 3));
      account = await em().findOneOrFail(SocialAccount, { id: res.body.account.id });
      const fork = em();
      // 25 posts, one a day; two share a timestamp so the cursor's id tiebreak is exercised.
      for (let i = 0; i < 25; i++) {
        const publishedAt = new Date(Date.UTC(2026, 9, 1 + (i === 24 ? 23 : i), 12));
        fork.create(Post, {
          account: fork.getReference(SocialAccount, account.id),
          platformId: `p${i}`,
          type: 'IMAGE',
          publishedAt,
          likes: i,
          comments: 1,
        });
      }
      const today = new Date();
      // Connected before its first snapshot, 40 days ago.
      await h.db.orm.em
        .getKnex()('social_accounts')
        .where({ id: account.id })
        .update({ created_at: new Date(today.getTime() - 41 * 86_400_000) });
      for (let daysAgo = 40; daysAgo >= 0; daysAgo -= 10) {
        const day = new Date(today.getTime() - daysAgo * 86_400_000).toISOString().slice(0, 10);
        fork.create(AccountSnapshot, {
          account: fork.getReference(SocialAccount, account.id),
          day,
          followers: 1000 - daysAgo,
        });
      }
      await fork.flush();
    });

    it('lists only your own accounts', async () => {
      const res = await h.request.get('/api/v1/accounts').set(bob.auth);
      expect(res.status).toBe(200);
      expect(res.body.accounts.map((a: { id: string }) => a.id)).toEqual([account.id]);
    });

    it('gets one account with counters, engagement, last sync and token expiry', async () => {
      const res = await h.request.get(`/api/v1/accounts/${account.id}`).set(bob.auth);
      expect(res.status).toBe(200);
      expect(res.body.account).toMatchObject({
        id: account.id,
        followers: expect.any(Number),
        engagementRate: expect.any(Number),
        lastSyncedAt: null,
      });
      expect(res.body.account.tokenExpiresAt).toEqual(expect.any(String));
    });

    it('pages posts newest first with a cursor, visiting each post exactly once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: {
          status: number;
          body: { posts: { platformId: string; publishedAt: string }[]; nextCursor: string | null };
        } = await h.request
          .get(`/api/v1/accounts/${account.id}/posts`)
          .query({ limit: 10, ...(cursor ? { cursor } : {}) })
          .set(bob.auth);
        expect(res.status).toBe(200);
        seen.push(...res.body.posts.map((post) => post.platformId));
        const dates = res.body.posts.map((post) => post.publishedAt);
        expect([...dates].sort().reverse()).toEqual(dates);
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
      // p23 and p24 share the newest timestamp (their order is the id tiebreak); p22 is next.
      expect(seen.slice(0, 2).sort()).toEqual(['p23', 'p24']);
      expect(seen[2]).toBe('p22');
    });

    it('answers 400 for a cursor that is not one of ours', async () => {
      // Not base64url of anything; and the right shape (a date, then 36 characters) with no UUID in it.
      const forged = Buffer.from(`2026-10-01T12:00:00.000Z|${'-'.repeat(36)}`).toString('base64url');
      for (const cursor of ["' OR 1=1--", forged]) {
        const res = await h.request
          .get(`/api/v1/accounts/${account.id}/posts`)
          .query({ cursor })
          .set(bob.auth);
        expect(res.status).toBe(400);
        expect(res.body.details).toEqual([expect.objectContaining({ field: 'query.cursor' })]);
      }
    });

    it('gives one entry per day of the last N days, oldest first: the stored snapshots and the days without', async () => {
      const res = await h.request.get(`/api/v1/accounts/${account.id}/history?days=25`).set(bob.auth);
      expect(res.status).toBe(200);
      const today = new Date().toISOString().slice(0, 10);
      expect(res.body.to).toBe(today);
      expect(res.body.snapshots).toHaveLength(25);
      expect(res.body.snapshots.at(-1).date).toBe(today);
      const stored = res.body.snapshots.filter((s: { missing: boolean }) => !s.missing);
      expect(stored.map((s: { followers: number }) => s.followers)).toEqual([980, 990, 1000]);
      expect(stored[0].day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(stored[0].date).toBe(stored[0].day);
      expect(res.body.snapshots.filter((s: { missing: boolean }) => s.missing)).toHaveLength(22);
    });

    it('lists a skipped day as missing, and nothing before the connection day', async () => {
      const res = await connectSimAccount(h, bob, 'tiktok', simAccountId(h, 'tiktok', 4));
      const id = res.body.account.id as string;
      const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
      const knex = h.db.orm.em.getKnex();
      // Connected four days ago; synced that day, the next, then not two days ago (the nightly run missed it).
      await knex('social_accounts')
        .where({ id })
        .update({ created_at: new Date(Date.now() - 4 * 86_400_000) });
      await knex('account_snapshots').insert(
        [4, 3, 1, 0].map((daysAgo) => ({ account_id: id, day: day(daysAgo), followers: 500 + daysAgo })),
      );
      const history = await h.request.get(`/api/v1/accounts/${id}/history?days=30`).set(bob.auth);
      expect(history.status).toBe(200);
      expect(history.body.from).toBe(day(4));
      expect(history.body.snapshots).toEqual([
        expect.objectContaining({ date: day(4), missing: false, followers: 504 }),
        expect.objectContaining({ date: day(3), missing: false, followers: 503 }),
        { date: day(2), day: day(2), missing: true },
        expect.objectContaining({ date: day(1), missing: false, followers: 501 }),
        expect.objectContaining({ date: day(0), missing: false, followers: 500 }),
      ]);
      // days=2: yesterday and today only.
      const short = await h.request.get(`/api/v1/accounts/${id}/history?days=2`).set(bob.auth);
      expect(short.body.snapshots.map((s: { date: string }) => s.date)).toEqual([day(1), day(0)]);
      for (const days of ['0', '367', 'x']) {
        const bad = await h.request.get(`/api/v1/accounts/${id}/history?days=${days}`).set(bob.auth);
        expect(bad.status).toBe(400);
        expect(bad.body.details).toEqual([expect.objectContaining({ field: 'query.days' })]);
      }
    });

    it.each([
      ['GET', ''],
      ['GET', '/posts'],
      ['GET', '/history'],
      ['DELETE', ''],
    ])("answers 404 to %s /accounts/:id%s for another user's account", async (method, suffix) => {
      const path = `/api/v1/accounts/${account.id}${suffix}`;
      const res = await h.request[method === 'GET' ? 'get' : 'delete'](path).set(alice.auth);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'NOT_FOUND', message: 'No such account.' });
    });

    it('disconnects: tokens erased, status disconnected, posts and history kept', async () => {
      const res = await h.request.delete(`/api/v1/accounts/${account.id}`).set(bob.auth);
      expect(res.status).toBe(200);
      expect(res.body.account.status).toBe('disconnected');
      const row = await em().findOneOrFail(
        SocialAccount,
        { id: account.id },
        { populate: ['accessTokenEnc', 'refreshTokenEnc'] },
      );
      expect(row.accessTokenEnc).toBeNull();
      expect(row.refreshTokenEnc).toBeNull();
      expect(await em().count(Post, { account: account.id })).toBe(25);
      const posts = await h.request.get(`/api/v1/accounts/${account.id}/posts`).set(bob.auth);
      expect(posts.body.posts).toHaveLength(20);
      // One account.disconnected event, written with the change; a second disconnect changes nothing.
      const events = () =>
        h.db.orm.em.getKnex()('outbox').where({ stream_key: account.id, kind: 'account.disconnected' });
      expect(await events()).toEqual([
        expect.objectContaining({
          status: 'pending',
          payload: expect.objectContaining({ accountId: account.id, ownerId: bob.id, platform: 'instagram' }),
        }),
      ]);
      expect((await h.request.delete(`/api/v1/accounts/${account.id}`).set(bob.auth)).status).toBe(200);
      expect(await events()).toHaveLength(1);
    });
  });

  describe('notifications', () => {
    let mine: Notification;
    let theirs: Notification;
    beforeAll(async () => {
      const fork = em();
      mine = fork.create(Notification, {
        user: fork.getReference(User, alice.id),
        kind: 'reauth_required',
        payload: { platform: 'tiktok' },
      });
      fork.create(Notification, {
        user: fork.getReference(User, alice.id),
        kind: 'token_expiring',
        payload: {},
        createdAt: new Date(Date.now() - 60_000),
      });
      theirs = fork.create(Notification, {
        user: fork.getReference(User, bob.id),
        kind: 'token_expired',
        payload: {},
      });
      await fork.flush();
    });

    it('lists your notifications newest first, and only yours', async () => {
      const res = await h.request.get('/api/v1/notifications').set(alice.auth);
      expect(res.status).toBe(200);
      expect(res.body.notifications.map((n: { kind: string }) => n.kind)).toEqual([
        'reauth_required',
        'token_expiring',
      ]);
    });

    it('marks one read (idempotently) and filters unread ones', async () => {
      const first = await h.request.post(`/api/v1/notifications/${mine.id}/read`).set(alice.auth);
      expect(first.status).toBe(200);
      expect(first.body.notification.readAt).toEqual(expect.any(String));
      const second = await h.request.post(`/api/v1/notifications/${mine.id}/read`).set(alice.auth);
      expect(second.body.notification.readAt).toBe(first.body.notification.readAt);
      const unread = await h.request.get('/api/v1/notifications?unreadOnly=true').set(alice.auth);
      expect(unread.body.notifications.map((n: { kind: string }) => n.kind)).toEqual(['token_expiring']);
    });

    it("answers 404 for another user's notification and leaves it unread", async () => {
      const res = await h.request.post(`/api/v1/notifications/${theirs.id}/read`).set(alice.auth);
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('NOT_FOUND');
      expect((await em().findOneOrFail(Notification, { id: theirs.id })).readAt).toBeNull();
    });
  });
});
