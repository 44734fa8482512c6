import type { Knex } from '@mikro-orm/postgresql';
import { deliverDueEvents, type EventDeliveryDeps } from '../../src/webhooks/delivery';
import { EVENT_KINDS, type NewEvent } from '../../src/webhooks/events';
import { appendEvent, DELIVER_FOR_MS, hasDueEvents } from '../../src/webhooks/outbox';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

jest.setTimeout(60_000);

const BACKOFF = { firstMs: 1_000, maxMs: 8_000 };

/**
 * One batch of the drainer (src/webhooks/delivery.ts, what the deliverWebhookEvents activity runs) on real
 * PostgreSQL against a local receiver, with its clock in the test's hands: which events go, which wait,
 * which die, and when a batch gives up on a receiver that is down.
 */
describe('webhook delivery rules (PostgreSQL, local receiver)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let receiver: WebhookReceiver;
  let clock: Date;

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = db.orm.em.getKnex();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await db?.drop();
  });
  beforeEach(async () => {
    await knex('outbox').delete();
    receiver.received.length = 0;
    receiver.setDown(false);
    // A second ahead of the database's now(): the events a test appends next are due at once.
    clock = new Date(Date.now() + 1_000);
  });

  const deps = (overrides: Partial<EventDeliveryDeps> = {}): EventDeliveryDeps => ({
    db: knex,
    now: () => clock,
    webhook: { url: receiver.url, secret: 'rules-secret' },
    kinds: [...EVENT_KINDS],
    concurrency: 4,
    backoff: BACKOFF,
    ...overrides,
  });
  const batch = (overrides: Partial<EventDeliveryDeps> = {}, downStreak = 0) =>
    deliverDueEvents(deps(overrides), { maxWaitMs: 0, downStreak });
  const disconnected = (accountId: string): NewEvent => ({
    kind: 'account.disconnected',
    data: { accountId, ownerId: 'owner', platform: 'tiktok', disconnectedAt: new Date().toISOString() },
  });
  const row = (id: string) => knex('outbox').where({ id }).first();

  it('sends only the kinds WEBHOOK_EVENTS selects; the others are skipped, never sent', async () => {
    const sent = await appendEvent(knex, 'a', disconnected('a'));
    const left = await appendEvent(knex, 'fleet', {
      kind: 'fleet.stale_accounts',
      data: {
        staleAfterHours: 36,
        count: 1,
        accountIds: ['a'],
        byPlatform: { tiktok: 1 },
        fleetWorkflowId: 'fleet',
        checkedAt: new Date().toISOString(),
      },
    });
    const result = await batch({ kinds: ['account.disconnected'] });
    expect(result).toMatchObject({ claimed: 1, delivered: 1, skipped: 1 });
    expect((await row(sent!)).status).toBe('delivered');
    expect((await row(left!)).status).toBe('skipped');
    expect(receiver.received.map((request) => request.headers['x-socialsync-delivery'])).toEqual([sent]);
  });

  it('without NOTIFY_WEBHOOK_URL nothing is sent and nothing piles up', async () => {
    const id = await appendEvent(knex, 'a', disconnected('a'));
    const result = await batch({ webhook: { url: undefined, secret: undefined } });
    expect(result).toMatchObject({ claimed: 0, skipped: 1 });
    expect((await row(id!)).status).toBe('skipped');
    expect(receiver.received).toEqual([]);
  });

  it("holds an account's later events behind its failing one while other accounts go on", async () => {
    const a1 = await appendEvent(knex, 'a', disconnected('a'));
    const a2 = await appendEvent(knex, 'a', disconnected('a'));
    const b1 = await appendEvent(knex, 'b', disconnected('b'));
    receiver.answerWith([503]);
    const first = await batch();
    expect(first).toMatchObject({ claimed: 3, delivered: 1, retrying: 1, receiverUnavailable: false });
    expect(await row(a1!)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP_503' });
    expect(await row(a2!)).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await row(b1!)).status).toBe('delivered');
    // a1 waits its backoff (1 s): nothing of stream a is due, even a2, and the idle check agrees (a2 must not
    // wake the drainer into empty batches until a1's retry is due).
    expect(await hasDueEvents(knex, clock)).toBe(false);
    expect(await batch()).toMatchObject({ claimed: 0 });
    clock = new Date(clock.getTime() + BACKOFF.firstMs);
    expect(await batch()).toMatchObject({ claimed: 2, delivered: 2 });
    const order = receiver.received
      .filter((request) => request.status < 300)
      .map((request) => request.headers['x-socialsync-delivery']);
    expect(order).toEqual([b1, a1, a2]);
  });

  it('a receiver that is down costs one wave of requests per batch, then the drainer pauses', async () => {
    const ids = [];
    for (const stream of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'])
      ids.push(await appendEvent(knex, stream, disconnected(stream)));
    receiver.setDown(true);
    const result = await batch({}, 2);
    // Four streams started at once (concurrency 4), all failed: the other four were not tried.
    expect(result).toMatchObject({ claimed: 8, delivered: 0, retrying: 4, receiverUnavailable: true });
    expect(result.pauseMs).toBe(BACKOFF.firstMs * 2 ** 2);
    const attempts = (await knex('outbox').select('attempts').orderBy('seq')).map((r) => r.attempts);
    expect(attempts).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect((await row(ids[0]!)).last_error).toBe('NETWORK');
  });

  it('a 429 pauses for its Retry-After and retries that event no sooner', async () => {
    const id = await appendEvent(knex, 'a', disconnected('a'));
    receiver.answerWith([429]); // with Retry-After: 1
    const result = await batch({ backoff: { firstMs: 100, maxMs: 100 } });
    expect(result).toMatchObject({ retrying: 1, receiverUnavailable: true, pauseMs: 1_000 });
    const stored = await row(id!);
    expect(new Date(stored.next_attempt_at).getTime()).toBe(clock.getTime() + 1_000);
  });

  it('a retryable failure a day after the event was written makes it dead; a 4xx at once', async () => {
    const refused = await appendEvent(knex, 'b', disconnected('b'));
    receiver.answerWith([400]);
    expect(await batch()).toMatchObject({ dead: 1, retrying: 0 });
    expect(await row(refused!)).toMatchObject({ status: 'dead', attempts: 1, last_http_status: 400 });

    const old = await appendEvent(knex, 'a', disconnected('a'));
    clock = new Date(Date.now() + DELIVER_FOR_MS + 60_000);
    receiver.answerWith([503]);
    expect(await batch()).toMatchObject({ dead: 1, retrying: 0 });
    expect(await row(old!)).toMatchObject({ status: 'dead', last_error: 'HTTP_503', attempts: 1 });
  });

  it('the last retry is scheduled at the deadline, not past it', async () => {
    const id = await appendEvent(knex, 'a', disconnected('a'));
    const { give_up_at: giveUpAt } = await row(id!);
    clock = new Date(new Date(giveUpAt).getTime() - 2_000);
    receiver.answerWith([503]);
    await batch({ backoff: { firstMs: 60_000, maxMs: 60_000 } });
    const stored = await row(id!);
    expect(stored.status).toBe('pending');
    expect(new Date(stored.next_attempt_at).getTime()).toBe(new Date(giveUpAt).getTime());
  });

  it('waits for due events up to maxWaitMs, and returns early when one arrives', async () => {
    const started = Date.now();
    const waiting = deliverDueEvents(
      { ...deps(), now: () => new Date() },
      { maxWaitMs: 10_000, downStreak: 0 },
    );
    setTimeout(() => void appendEvent(knex, 'late', disconnected('late')), 300);
    expect(await waiting).toMatchObject({ claimed: 1, delivered: 1 });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
