import { ApplicationFailure } from '@temporalio/common';
import type { Knex } from '@mikro-orm/postgresql';
import { lockAccount, StaleAccountError, updateAccount } from '../../src/accounts/store';
import type { User } from '../../src/db/entities';
import { verifyWebhookSignature } from '../../src/webhooks/signed-post';
import { insertUser, seedConnectedAccount } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import {
  DAY,
  HOUR,
  startWorkerStack,
  storedTokens,
  WEBHOOK_SECRET,
  type WorkerStack,
} from '../helpers/stack';

jest.setTimeout(60_000);

/** The refresh activities called directly on real PostgreSQL and the simulator (no Temporal needed). */
describe('token refresh activities', () => {
  let db: TestDatabase;
  let stack: WorkerStack;
  let knex: Knex;
  let owner: User;

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = db.orm.em.getKnex();
    stack = await startWorkerStack({
      db,
      webhook: true,
      simulator: { faults: { endpoints: { 'tiktok.token.refresh_token': { latencyMs: 300 } } } },
    });
    owner = await insertUser(db.orm);
  });

  afterAll(async () => {
    await stack?.close();
    await db?.drop();
  });

  const row = (id: string) => knex('social_accounts').where({ id }).first();
  const notificationsOf = (accountId: string) =>
    knex('notifications').whereRaw("payload->>'accountId' = ?", [accountId]);

  it('serialises two forced refreshes of one account on its row lock: both succeed under strict rotation', async () => {
    const account = await seedConnectedAccount(stack, owner, 'tiktok', {
      issuedAt: new Date(Date.now() - 2 * HOUR),
    });
    const refresh = () =>
      stack.activities.refreshAccountToken({ accountId: account.account.id, trigger: 'admin' });
    const results = await Promise.all([refresh(), refresh()]);
    expect(results.map((result) => result.outcome)).toEqual(['refreshed', 'refreshed']);
    // Without the lock both would have sent the same refresh token and one would get invalid_grant.
    expect(
      stack.simulator.control.accountStats('tiktok', account.externalId)['tiktok.token.refresh_token'],
    ).toEqual({ total: 2, ok: 2, failed: 0 });
    const stored = await storedTokens(stack, account.account.id);
    await expect(stack.platforms.tiktok.getProfile(stored.accessToken)).resolves.toMatchObject({
      value: { externalId: account.externalId },
    });
    expect((await row(account.account.id)).version).toBe(3);
  });

  it('refuses a write computed from a stale version (optimistic lock)', async () => {
    const account = await seedConnectedAccount(stack, owner, 'tiktok', { issuedAt: new Date() });
    await expect(
      knex.transaction(async (trx) => {
        const locked = await lockAccount(trx, account.account.id);
        await updateAccount(trx, locked!, { consecutive_failures: 1 });
        await updateAccount(trx, locked!, { consecutive_failures: 2 }); // same, now stale, version
      }),
    ).rejects.toBeInstanceOf(StaleAccountError);
    expect((await row(account.account.id)).consecutive_failures).toBe(0); // rolled back
  });

  it('skips an Instagram token under 24 hours old without calling the platform, and a not-due one', async () => {
    const young = await seedConnectedAccount(stack, owner, 'instagram', {
      issuedAt: new Date(Date.now() - 3 * HOUR),
      accessExpiresAt: new Date(Date.now() + DAY),
    });
    await expect(
      stack.activities.refreshAccountToken({ accountId: young.account.id, trigger: 'fleet' }),
    ).resolves.toMatchObject({ outcome: 'skipped', errorCode: 'IG_TOO_YOUNG' });
    const fresh = await seedConnectedAccount(stack, owner, 'tiktok', { issuedAt: new Date() });
    await expect(
      stack.activities.refreshAccountToken({
        accountId: fresh.account.id,
        trigger: 'jit',
        onlyIfExpiresWithinMinutes: 10,
      }),
    ).resolves.toMatchObject({ outcome: 'not_due' });
    expect(
      stack.simulator.control.accountStats('instagram', young.externalId)['instagram.refresh_token'],
    ).toBeUndefined();
    expect(
      stack.simulator.control.accountStats('tiktok', fresh.externalId)['tiktok.token.refresh_token'],
    ).toBeUndefined();
  });

  it('throws a non-retryable failure with the code (never a token) for a revoked grant', async () => {
    const account = await seedConnectedAccount(stack, owner, 'tiktok', {
      issuedAt: new Date(Date.now() - HOUR),
    });
    stack.simulator.control.invalidateTokens('tiktok', account.externalId, 'revoked');
    const failure = await stack.activities
      .refreshAccountToken({ accountId: account.account.id, trigger: 'api' })
      .catch((error) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'PlatformAuthRevoked', nonRetryable: true });
    expect(failure.details[0]).toMatchObject({ code: 'TT_invalid_grant', kind: 'auth_revoked' });
    expect(JSON.stringify({ message: failure.message, details: failure.details })).not.toContain(
      account.refreshToken!,
    );
    expect(await knex('token_refresh_attempts').where({ account_id: account.account.id })).toMatchObject([
      { outcome: 'reauth_required', error_code: 'TT_invalid_grant', trigger: 'api' },
    ]);
  });

  it('marks re-authorisation once per incident, however often it is called', async () => {
    const account = await seedConnectedAccount(stack, owner, 'instagram', {
      issuedAt: new Date(Date.now() - 30 * DAY),
    });
    const first = await stack.activities.markAccountReauthRequired({
      accountId: account.account.id,
      errorCode: 'IG_190_460',
    });
    const second = await stack.activities.markAccountReauthRequired({
      accountId: account.account.id,
      errorCode: 'IG_190_460',
    });
    expect(first.notificationId).not.toBeNull();
    expect(second).toEqual(first);
    expect(await row(account.account.id)).toMatchObject({
      status: 'reauth_required',
      last_error_code: 'IG_190_460',
    });
    expect(await notificationsOf(account.account.id)).toHaveLength(1);
  });

  it('counts failures while the token lives, warns once before an Instagram token dies, then marks it expired', async () => {
    const account = await seedConnectedAccount(stack, owner, 'instagram', {
      issuedAt: new Date(Date.now() - 55 * DAY),
    });
    const input = { accountId: account.account.id, errorCode: 'HTTP_503', trigger: 'fleet' as const };
    const first = await stack.activities.recordRefreshFailure(input);
    const second = await stack.activities.recordRefreshFailure(input);
    expect(first).toMatchObject({
      outcome: 'failed',
      consecutiveFailures: 1,
      notificationIds: [expect.any(String)],
    });
    expect(second).toMatchObject({ outcome: 'failed', consecutiveFailures: 2 });
    expect(await row(account.account.id)).toMatchObject({
      status: 'active',
      consecutive_failures: 2,
      last_error_code: 'HTTP_503',
    });
    expect((await notificationsOf(account.account.id)).map((n: { kind: string }) => n.kind)).toEqual([
      'token_expiring',
    ]);

    await knex('social_accounts')
      .where({ id: account.account.id })
      .update({ access_expires_at: new Date(Date.now() - 60_000) });
    await expect(stack.activities.recordRefreshFailure(input)).resolves.toMatchObject({
      outcome: 'expired',
      consecutiveFailures: 3,
    });
    expect((await row(account.account.id)).status).toBe('expired');
    expect((await notificationsOf(account.account.id)).map((n: { kind: string }) => n.kind).sort()).toEqual([
      'token_expired',
      'token_expiring',
    ]);
  });

  it('clears the failure count, error code and warning on the next successful refresh', async () => {
    const account = await seedConnectedAccount(stack, owner, 'instagram', {
      issuedAt: new Date(Date.now() - 55 * DAY),
    });
    await stack.activities.recordRefreshFailure({
      accountId: account.account.id,
      errorCode: 'TIMEOUT',
      trigger: 'fleet',
    });
    await expect(
      stack.activities.refreshAccountToken({ accountId: account.account.id, trigger: 'fleet' }),
    ).resolves.toMatchObject({ outcome: 'refreshed' });
    expect(await row(account.account.id)).toMatchObject({
      status: 'active',
      consecutive_failures: 0,
      last_error_code: null,
      expiry_warned_at: null,
      incident_opened_at: null,
    });
  });

  it('fails a database error while storing the new token retryably, without the statement or its values', async () => {
    const account = await seedConnectedAccount(stack, owner, 'instagram', {
      issuedAt: new Date(Date.now() - 55 * DAY),
    });
    const before = await row(account.account.id);
    // The driver quotes the failed statement with its values: here the newly encrypted tokens.
    await knex.raw(`create function fail_token_write() returns trigger language plpgsql as $$
      begin raise exception 'simulated storage failure'; end $$`);
    await knex.raw(
      `create trigger fail_token_write before update of access_token_enc on social_accounts for each row
       when (new.id = '${account.account.id}') execute function fail_token_write()`,
    );
    try {
      const failure = await stack.activities
        .refreshAccountToken({ accountId: account.account.id, trigger: 'admin' })
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(failure).toBeInstanceOf(ApplicationFailure);
      const { type, nonRetryable, message, details, stack: trace } = failure as ApplicationFailure;
      // Retried as an internal error (the database answered: it is not an outage); class and SQLSTATE say what failed.
      expect({ type, nonRetryable, message, details }).toEqual({
        type: 'InternalError',
        nonRetryable: false,
        message: 'DatabaseError (P0001)',
        details: [{ code: 'INTERNAL_ERROR' }],
      });
      expect(trace).toContain('at updateAccount'); // the frames stay
      const keyId = (before.access_token_enc as string).split('.')[1];
      expect(trace).not.toContain(`v1.${keyId}.`);
      expect(trace).not.toContain('access_token_enc');
    } finally {
      await knex.raw('drop trigger fail_token_write on social_accounts; drop function fail_token_write()');
    }
    expect((await row(account.account.id)).access_token_enc).toBe(before.access_token_enc); // rolled back
  });

  it('delivers a notification to the webhook once, signed, retrying a failing receiver', async () => {
    const account = await seedConnectedAccount(stack, owner, 'tiktok', { issuedAt: new Date() });
    const { notificationId } = await stack.activities.markAccountReauthRequired({
      accountId: account.account.id,
      errorCode: 'TT_invalid_grant',
    });
    const before = stack.webhook!.received.length;
    stack.webhook!.answerWith([500]);
    await expect(
      stack.activities.deliverNotificationWebhook({ notificationId: notificationId! }),
    ).rejects.toMatchObject({ type: 'WebhookUnavailable', nonRetryable: false });
    await expect(
      stack.activities.deliverNotificationWebhook({ notificationId: notificationId! }),
    ).resolves.toEqual({ status: 'delivered', httpStatus: 204 });
    await expect(
      stack.activities.deliverNotificationWebhook({ notificationId: notificationId! }),
    ).resolves.toEqual({ status: 'already_delivered' });
    const requests = stack.webhook!.received.slice(before);
    expect(requests).toHaveLength(2);
    const body = JSON.parse(requests[1].body);
    expect(body).toMatchObject({
      id: notificationId,
      kind: 'reauth_required',
      userId: owner.id,
      payload: { accountId: account.account.id, platform: 'tiktok', errorCode: 'TT_invalid_grant' },
    });
    expect(
      verifyWebhookSignature(
        requests[1].body,
        WEBHOOK_SECRET,
        requests[1].headers['x-socialsync-signature'] as string,
      ),
    ).toBe(true);
    expect((await knex('notifications').where({ id: notificationId }).first()).delivered_at).not.toBeNull();
  });

  it('records refresh outcomes in the metrics and sets the accounts-by-status gauge', async () => {
    await stack.activities.countAccountsByStatus();
    const text = await stack.metrics.registry.metrics();
    expect(text).toMatch(
      /socialsync_token_refresh_attempts_total\{platform="tiktok",outcome="refreshed",reason="ok"\} [2-9]/,
    );
    expect(text).toContain(
      'socialsync_token_refresh_attempts_total{platform="tiktok",outcome="reauth_required",reason="TT_invalid_grant"} 1',
    );
    expect(text).toContain('socialsync_accounts{platform="instagram",status="expired"} 1');
  });
});
