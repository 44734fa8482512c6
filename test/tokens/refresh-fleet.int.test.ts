import { randomUUID } from 'node:crypto';
import type { Knex } from '@mikro-orm/postgresql';
import type { User } from '../../src/db/entities';
import { verifyWebhookSignature } from '../../src/webhooks/signed-post';
import type { EndpointId } from '../../src/devtools/simulator';
import {
  makeRefreshExpiringTokensWorkflowId,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  type RefreshExpiringTokensResult,
} from '../../workflows/contract';
import { causeTrouble, insertUser, seedConnectedAccount, type ConnectedAccount } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { workflowHistoryText } from '../helpers/history-text';
import { startDevServerWorker, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import {
  DAY,
  HOUR,
  startWorkerStack,
  storedTokens,
  WEBHOOK_SECRET,
  type WorkerStack,
} from '../helpers/stack';
import { refreshExpiringTokensWorkflow } from '../../workflows';

jest.setTimeout(240_000);

type Kind =
  | 'young' // Instagram, under 24 h old, yet inside the window as far as the database knows: skipped
  | 'expiring' // inside the window: refreshed
  | 'far' // Instagram, expires in 50 days: not touched
  | 'revoked' // user revoked access: reauth_required + notification
  | 'flaky' // two transient errors first: refreshed on the third attempt
  | 'refresh_expiring' // TikTok refresh token dies in 5 days (fixed window): refreshed + token_expiring
  | 'refresh_expired'; // TikTok refresh token already dead: expired + token_expired, no call

interface Seeded extends ConnectedAccount {
  kind: Kind;
}

const PLAN: Record<'instagram' | 'tiktok', Array<[Kind, number]>> = {
  instagram: [
    ['young', 6],
    ['expiring', 8],
    ['far', 6],
    ['revoked', 5],
    ['flaky', 5],
  ],
  tiktok: [
    ['expiring', 10],
    ['refresh_expiring', 5],
    ['refresh_expired', 4],
    ['revoked', 5],
    ['flaky', 6],
  ],
};
const REFRESH_ENDPOINT: Record<'instagram' | 'tiktok', EndpointId> = {
  instagram: 'instagram.refresh_token',
  tiktok: 'tiktok.token.refresh_token',
};

describe('token refresh fleet run on the dev server, PostgreSQL and the simulator', () => {
  let db: TestDatabase;
  let stack: WorkerStack;
  let temporal: TestTemporal;
  let knex: Knex;
  let owner: User;
  const taskQueue = uniqueTaskQueue('refresh-fleet');
  const seeded: Seeded[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = db.orm.em.getKnex();
    stack = await startWorkerStack({ db, webhook: true });
    temporal = await startDevServerWorker({ taskQueue, activities: stack.activities });
    owner = await insertUser(db.orm);
    await seedFleet();
  });

  afterAll(async () => {
    await temporal?.close();
    await stack?.close();
    await db?.drop();
  });

  async function seedFleet(): Promise<void> {
    const now = Date.now();
    for (const platform of ['instagram', 'tiktok'] as const) {
      for (const [kind, count] of PLAN[platform]) {
        for (let i = 0; i < count; i++) {
          const account = await seedConnectedAccount(stack, owner, platform, seedTimes(platform, kind, now));
          if (kind === 'revoked' || kind === 'flaky') causeTrouble(stack.simulator, account, kind);
          seeded.push({ ...account, kind });
        }
      }
    }
    expect(seeded).toHaveLength(60);
  }

  const ofKind = (...kinds: Kind[]) => seeded.filter((account) => kinds.includes(account.kind));
  const refreshStats = (account: Seeded) =>
    stack.simulator.control.accountStats(account.platform, account.externalId)[
      REFRESH_ENDPOINT[account.platform]
    ];
  const accountRow = (account: Seeded) => knex('social_accounts').where({ id: account.account.id }).first();
  const notificationsOf = (account: Seeded) =>
    knex('notifications').whereRaw("payload->>'accountId' = ?", [account.account.id]).orderBy('kind');

  let fleetWorkflowId: string;
  let result: RefreshExpiringTokensResult;

  it('puts every account in exactly the expected state after one fleet run', async () => {
    fleetWorkflowId = makeRefreshExpiringTokensWorkflowId(`test-${randomUUID()}`);
    result = await temporal.client.workflow.execute(refreshExpiringTokensWorkflow, {
      taskQueue,
      workflowId: fleetWorkflowId,
      // 20 accounts a run: the chain continues as new twice, carrying cursor and counters.
      args: [{ triggeredBy: 'cli', spacingMs: 20, concurrency: 10, accountsPerRun: 20 }],
      typedSearchAttributes: [{ key: TRIGGERED_BY_SEARCH_ATTRIBUTE, value: 'cli' }],
    });
    const inWindow = seeded.filter((account) => account.kind !== 'far');
    expect(result).toMatchObject({
      considered: inWindow.length,
      refreshed: ofKind('expiring', 'flaky', 'refresh_expiring').length,
      skipped: ofKind('young').length,
      reauthRequired: ofKind('revoked').length,
      expired: ofKind('refresh_expired').length,
      failed: 0,
      notDue: 0,
      runs: 3,
      windowDays: 7,
    });
    expect(result.durationMs).toBeGreaterThan(0);
    process.stdout.write(`[refresh-fleet] ${JSON.stringify(result)}\n`);

    for (const account of seeded) {
      const row = await accountRow(account);
      const tokens = await storedTokens(stack, account.account.id);
      const stats = refreshStats(account);
      switch (account.kind) {
        case 'expiring':
        case 'flaky':
        case 'refresh_expiring': {
          expect({ id: account.account.id, status: row.status }).toEqual({
            id: account.account.id,
            status: 'active',
          });
          expect(row.consecutive_failures).toBe(0);
          expect(row.last_error_code).toBeNull();
          expect(tokens.accessToken).not.toBe(account.accessToken);
          if (account.platform === 'tiktok') expect(tokens.refreshToken).not.toBe(account.refreshToken);
          expect(new Date(row.access_expires_at).getTime()).toBeGreaterThan(
            Date.now() + (account.platform === 'instagram' ? 50 * DAY : 20 * HOUR),
          );
          expect(stats?.ok).toBe(1);
          expect(stats?.failed ?? 0).toBe(account.kind === 'flaky' ? 2 : 0);
          break;
        }
        case 'young':
        case 'far':
          expect(row.status).toBe('active');
          expect(tokens.accessToken).toBe(account.accessToken);
          expect(row.last_refreshed_at).toBeNull();
          expect(stats).toBeUndefined(); // never sent to the platform
          break;
        case 'revoked':
          expect(row.status).toBe('reauth_required');
          expect(row.last_error_code).toMatch(
            account.platform === 'instagram' ? /^IG_190/ : /^TT_invalid_grant$/,
          );
          expect(stats).toEqual({ total: 1, ok: 0, failed: 1 }); // non-retryable: one call, no retries
          break;
        case 'refresh_expired':
          expect(row.status).toBe('expired');
          expect(row.last_error_code).toBe('TT_REFRESH_TOKEN_EXPIRED');
          expect(stats).toBeUndefined();
          break;
      }
    }

    // Every refreshed token works on the platform.
    for (const account of ofKind('expiring', 'flaky', 'refresh_expiring')) {
      const { accessToken } = await storedTokens(stack, account.account.id);
      await expect(stack.platforms[account.platform].getProfile(accessToken)).resolves.toMatchObject({
        value: { externalId: account.externalId },
      });
    }

    // The simulator saw no account refreshed twice.
    for (const account of seeded) expect(refreshStats(account)?.ok ?? 0).toBeLessThanOrEqual(1);

    const attempts: Array<{ outcome: string; n: string }> = await knex('token_refresh_attempts')
      .select('outcome')
      .count({ n: '*' })
      .groupBy('outcome');
    expect(Object.fromEntries(attempts.map((row) => [row.outcome, Number(row.n)]))).toEqual({
      refreshed: result.refreshed,
      skipped: result.skipped,
      reauth_required: result.reauthRequired,
      expired: result.expired,
    });
  });

  it('creates each expected notification exactly once and delivers each to the signed webhook once', async () => {
    for (const account of seeded) {
      const kinds = (await notificationsOf(account)).map((row: { kind: string }) => row.kind);
      const expected = {
        revoked: ['reauth_required'],
        refresh_expiring: ['token_expiring'],
        refresh_expired: ['token_expired'],
      } as Partial<Record<Kind, string[]>>;
      expect({ account: account.kind, kinds }).toEqual({
        account: account.kind,
        kinds: expected[account.kind] ?? [],
      });
    }
    const all = await knex('notifications').select('id', 'user_id', 'kind');
    expect(all).toHaveLength(ofKind('revoked', 'refresh_expiring', 'refresh_expired').length);
    expect(new Set(all.map((row: { user_id: string }) => row.user_id))).toEqual(new Set([owner.id]));

    // Deliveries run in their own workflows after the fleet run: wait for them.
    await waitUntil(async () => (await knex('notifications').whereNull('delivered_at')).length === 0, 90_000);
    const deliveredIds = stack.webhook!.received.map((request) => request.headers['x-socialsync-delivery']);
    expect(deliveredIds.sort()).toEqual(all.map((row: { id: string }) => row.id).sort());
    for (const request of stack.webhook!.received) {
      expect(
        verifyWebhookSignature(
          request.body,
          WEBHOOK_SECRET,
          request.headers['x-socialsync-signature'] as string,
        ),
      ).toBe(true);
      const body = JSON.parse(request.body);
      expect(body).toMatchObject({ id: request.headers['x-socialsync-delivery'], userId: owner.id });
    }
  });

  it('keeps every access and refresh token out of the event history of the fleet run and its children', async () => {
    const children = await childWorkflowIds(fleetWorkflowId);
    expect(children.length).toBe(ofKind('revoked', 'refresh_expiring', 'refresh_expired').length);
    const texts = [await workflowHistoryText(temporal.client, fleetWorkflowId)];
    for (const child of children) texts.push(await workflowHistoryText(temporal.client, child));
    const history = texts.join('\n');
    expect(history).toContain(seeded[0].account.id); // the scan does read payloads
    const secrets = new Set<string>();
    for (const account of seeded) {
      const now = await storedTokens(stack, account.account.id);
      for (const token of [account.accessToken, account.refreshToken, now.accessToken, now.refreshToken])
        if (token) secrets.add(token);
    }
    expect(secrets.size).toBeGreaterThan(90);
    const leaked = [...secrets].filter((secret) => history.includes(secret));
    expect(leaked).toEqual([]);
  });

  async function childWorkflowIds(workflowId: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const execution of temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      const history = await temporal.client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
      for (const event of history.events ?? []) {
        const started = event.childWorkflowExecutionStartedEventAttributes;
        if (started?.workflowExecution?.workflowId) ids.push(started.workflowExecution.workflowId);
      }
    }
    return ids;
  }
});

/** When the simulator issued the tokens, and what the database believes about the access token's expiry. */
function seedTimes(
  platform: 'instagram' | 'tiktok',
  kind: Kind,
  now: number,
): { issuedAt: Date; accessExpiresAt?: Date } {
  if (platform === 'instagram') {
    switch (kind) {
      case 'young':
        return { issuedAt: new Date(now - 2 * HOUR), accessExpiresAt: new Date(now + 2 * DAY) };
      case 'far':
        return { issuedAt: new Date(now - 10 * DAY) };
      default:
        return { issuedAt: new Date(now - 55 * DAY) }; // 60-day token: 5 days left
    }
  }
  switch (kind) {
    case 'refresh_expiring':
      return { issuedAt: new Date(now - 360 * DAY) }; // 365-day refresh token (preset A): 5 days left
    case 'refresh_expired':
      return { issuedAt: new Date(now - 366 * DAY) };
    default:
      return { issuedAt: new Date(now - 20 * HOUR) }; // 24-hour access token: 4 hours left
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
