import { randomUUID } from 'node:crypto';
import type { User } from '../../src/db/entities';
import { isPlatformError } from '../../src/platforms';
import {
  makeRefreshAccountTokenWorkflowId,
  makeRefreshExpiringTokensWorkflowId,
  type RefreshAccountTokenInput,
} from '../../workflows/contract';
import { insertUser, seedConnectedAccount } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { startDevServerWorker, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { HOUR, startWorkerStack, storedTokens, type WorkerStack } from '../helpers/stack';
import { refreshAccountTokenWorkflow, refreshExpiringTokensWorkflow } from '../../workflows';

jest.setTimeout(180_000);

/** Each TikTok refresh takes 400 ms in the simulator, so refreshes that are not serialised overlap. */
const REFRESH_LATENCY_MS = 400;

describe('refreshes of one TikTok account at once (strict rotation)', () => {
  let db: TestDatabase;
  let stack: WorkerStack;
  let temporal: TestTemporal;
  let owner: User;
  const taskQueue = uniqueTaskQueue('refresh-race');

  beforeAll(async () => {
    db = await createTestDatabase();
    stack = await startWorkerStack({
      db,
      webhook: true,
      simulator: {
        tiktok: { rotation: 'strict' },
        faults: { endpoints: { 'tiktok.token.refresh_token': { latencyMs: REFRESH_LATENCY_MS } } },
      },
    });
    temporal = await startDevServerWorker({ taskQueue, activities: stack.activities });
    owner = await insertUser(db.orm);
  });

  afterAll(async () => {
    await temporal?.close();
    await stack?.close();
    await db?.drop();
  });

  it('shows the race is real: two unserialised refreshes with the same refresh token, one is refused', async () => {
    const account = await seedConnectedAccount(stack, owner, 'tiktok', {
      issuedAt: new Date(Date.now() - 20 * HOUR),
    });
    const current = {
      accessToken: account.accessToken,
      refreshToken: account.refreshToken,
      obtainedAt: new Date(),
    };
    const outcomes = await Promise.allSettled([
      stack.platforms.tiktok.refreshToken(current),
      stack.platforms.tiktok.refreshToken(current),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect(isPlatformError(refused.reason) && refused.reason.kind).toBe('auth_revoked');
    // Clean up: this account is not used again.
    await db.orm.em.fork().execute('delete from social_accounts where id = ?', [account.account.id]);
  });

  it('a fleet run and two just-in-time refreshes leave the account active with a working token', async () => {
    // The access token expires in 5 minutes: due for the fleet run (7-day window) and for a JIT (10 minutes).
    const account = await seedConnectedAccount(stack, owner, 'tiktok', {
      issuedAt: new Date(Date.now() - 24 * HOUR + 5 * 60_000),
    });
    const jit: RefreshAccountTokenInput = {
      accountId: account.account.id,
      trigger: 'jit',
      onlyIfExpiresWithinMinutes: 10,
    };
    const [fleet, jitOne, jitTwo] = await Promise.all([
      temporal.client.workflow.start(refreshExpiringTokensWorkflow, {
        taskQueue,
        workflowId: makeRefreshExpiringTokensWorkflowId(`race-${randomUUID()}`),
        args: [{ spacingMs: 0 }],
      }),
      // Two syncs' just-in-time refreshes: distinct workflows (a sync calls the helper inside its own run).
      ...[1, 2].map((n) =>
        temporal.client.workflow.start(refreshAccountTokenWorkflow, {
          taskQueue,
          workflowId: `${makeRefreshAccountTokenWorkflowId(account.account.id)}-jit-${n}-${randomUUID()}`,
          args: [jit],
        }),
      ),
    ]);
    const [fleetResult, one, two] = await Promise.all([fleet.result(), jitOne.result(), jitTwo.result()]);
    const outcomes = [
      fleetResult.refreshed ? 'refreshed' : fleetResult.notDue ? 'not_due' : 'other',
      one.outcome,
      two.outcome,
    ];
    expect(outcomes.sort()).toEqual(['not_due', 'not_due', 'refreshed']);

    const row = await db.orm.em.getKnex()('social_accounts').where({ id: account.account.id }).first();
    expect(row.status).toBe('active');
    expect(row.consecutive_failures).toBe(0);
    const stats = stack.simulator.control.accountStats('tiktok', account.externalId)[
      'tiktok.token.refresh_token'
    ];
    expect(stats).toEqual({ total: 1, ok: 1, failed: 0 }); // one refresh, no invalid_grant

    // The stored tokens work: the access token reads the profile, the refresh token is the live one.
    const stored = await storedTokens(stack, account.account.id);
    await expect(stack.platforms.tiktok.getProfile(stored.accessToken)).resolves.toMatchObject({
      value: { externalId: account.externalId },
    });
    const again = await stack.platforms.tiktok.refreshToken({ ...stored, obtainedAt: new Date() });
    expect(again.value.kind).toBe('refreshed');
  });
});
