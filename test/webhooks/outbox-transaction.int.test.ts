import type { Knex } from '@mikro-orm/postgresql';
import pino from 'pino';
import { accountSyncDeps } from '../../activities/sync';
import { markReauthRequired } from '../../src/accounts/incidents';
import type { User } from '../../src/db/entities';
import { syncAccountOnce, type AccountSyncDeps } from '../../src/sync/account-syncer';
import { insertUser, seedConnectedAccount } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { startWorkerStack, type WorkerStack } from '../helpers/stack';

jest.setTimeout(60_000);

/**
 * The transactional outbox on real PostgreSQL: the account syncer (the code of the syncAccount activities)
 * against the simulator, and the re-authorisation incident. An event exists exactly when its data does: a
 * trigger that raises after the event's insert rolls back the data too.
 */
describe('data events are written in the transaction of their data (PostgreSQL, simulator)', () => {
  let db: TestDatabase;
  let stack: WorkerStack;
  let knex: Knex;
  let owner: User;
  let deps: AccountSyncDeps;

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = db.orm.em.getKnex();
    stack = await startWorkerStack({ db });
    stack.simulator.control.freezeClock();
    owner = await insertUser(db.orm);
    deps = accountSyncDeps({
      config: stack.config,
      logger: pino({ level: 'silent' }),
      orm: db.orm,
      redis: stack.redis,
      cipher: stack.cipher,
      platforms: stack.platforms,
      metrics: stack.metrics,
      now: () => new Date(),
    });
  });

  afterAll(async () => {
    await knex?.raw('drop trigger if exists outbox_fails on outbox');
    await stack?.close();
    await db?.drop();
  });

  const sync = (accountId: string) =>
    syncAccountOnce(
      deps,
      { accountId },
      { owner: `test/${accountId}`, workflowId: 'test', heartbeat: () => {} },
    );
  const eventsOf = (accountId: string) => knex('outbox').where({ stream_key: accountId }).orderBy('seq');

  it('a sync that stores data writes exactly one account.synced event: counters, followers change, posts added and updated', async () => {
    const seeded = await seedConnectedAccount(stack, owner, 'instagram', { postCount: 5 });
    const id = seeded.account.id;
    const control = stack.simulator.control;
    await expect(sync(id)).resolves.toMatchObject({ kind: 'synced', postsSynced: 5 });
    const profile = control.getAccount('instagram', seeded.externalId);
    const [first] = await eventsOf(id);
    expect(await eventsOf(id)).toHaveLength(1);
    expect(first).toMatchObject({ kind: 'account.synced', status: 'pending', attempts: 0 });
    const synced = await knex('social_accounts').where({ id }).first();
    expect(first.payload).toEqual({
      accountId: id,
      ownerId: owner.id,
      platform: 'instagram',
      syncedAt: new Date(synced.last_synced_at).toISOString(),
      followers: profile.followers,
      followersChange: null,
      following: profile.following,
      mediaCount: 5,
      engagementRate: synced.engagement_rate,
      posts: { added: 5, updated: 0 },
    });

    // Nothing changed on the platform: a second event, nothing added or updated.
    await sync(id);
    expect((await eventsOf(id))[1].payload).toMatchObject({
      followersChange: 0,
      posts: { added: 0, updated: 0 },
    });

    // 25 more followers, one new post, one post with more likes.
    control.updateAccount('instagram', seeded.externalId, { followers: profile.followers + 25 });
    control.addPost('instagram', seeded.externalId, { caption: 'new', publishedAt: control.now() });
    const liked = control.listPosts('instagram', seeded.externalId)[3];
    control.updatePost('instagram', seeded.externalId, liked.id, { likes: liked.likes + 7 });
    await sync(id);
    const events = await eventsOf(id);
    expect(events).toHaveLength(3);
    expect(events[2].payload).toMatchObject({
      followers: profile.followers + 25,
      followersChange: 25,
      mediaCount: 6,
      posts: { added: 1, updated: 1 },
    });
    expect(Number(events[2].seq)).toBeGreaterThan(Number(events[1].seq));
  });

  it('a failure after the event insert leaves neither the data nor the event', async () => {
    const seeded = await seedConnectedAccount(stack, owner, 'tiktok', { postCount: 4 });
    const id = seeded.account.id;
    await knex.raw(`
      create or replace function outbox_fails() returns trigger language plpgsql as $$
      begin raise exception 'forced failure after the outbox insert'; end $$;
      create trigger outbox_fails after insert on outbox for each row execute function outbox_fails();
    `);
    try {
      await expect(sync(id)).rejects.toThrow(/forced failure after the outbox insert/);
    } finally {
      await knex.raw('drop trigger outbox_fails on outbox');
    }
    expect(await knex('posts').where({ account_id: id })).toEqual([]);
    expect(await knex('account_snapshots').where({ account_id: id })).toEqual([]);
    expect(await knex('social_accounts').where({ id }).first()).toMatchObject({ last_synced_at: null });
    expect(await eventsOf(id)).toEqual([]);

    // The same sync once the failure is gone: the data and its one event.
    await expect(sync(id)).resolves.toMatchObject({ kind: 'synced', postsSynced: 4 });
    expect(await knex('posts').where({ account_id: id })).toHaveLength(4);
    expect((await eventsOf(id)).map((event) => event.kind)).toEqual(['account.synced']);
  });

  it('a re-authorisation incident writes one account.reauth_required event, with its notification or not at all', async () => {
    const seeded = await seedConnectedAccount(stack, owner, 'tiktok');
    const id = seeded.account.id;
    const mark = () =>
      markReauthRequired(knex, {
        accountId: id,
        errorCode: 'TT_invalid_grant',
        now: new Date(),
        webhookUrl: undefined,
      });

    // The notification's insert fails: the status change and the event roll back with it.
    await knex.raw(`
      create or replace function notification_fails() returns trigger language plpgsql as $$
      begin raise exception 'forced failure of the notification'; end $$;
      create trigger notification_fails after insert on notifications for each row execute function notification_fails();
    `);
    try {
      await expect(mark()).rejects.toThrow(/forced failure of the notification/);
    } finally {
      await knex.raw('drop trigger notification_fails on notifications');
    }
    expect(await knex('social_accounts').where({ id }).first()).toMatchObject({ status: 'active' });
    expect(await eventsOf(id)).toEqual([]);

    await mark();
    await mark(); // the same incident: no second event
    const events = await eventsOf(id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: 'account.reauth_required',
      payload: {
        accountId: id,
        ownerId: owner.id,
        platform: 'tiktok',
        status: 'reauth_required',
        errorCode: 'TT_invalid_grant',
      },
    });
    // Tokens never reach the outbox.
    expect(JSON.stringify(events)).not.toContain(seeded.accessToken);
  });
});
