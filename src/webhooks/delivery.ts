import type { Knex } from '@mikro-orm/postgresql';
import type { EventBody, EventKind } from './events';
import {
  claimDueEvents,
  hasDueEvents,
  markDelivered,
  recordFailedAttempt,
  skipUnsentEvents,
  type ClaimedEvent,
} from './outbox';
import { postSignedWebhook, type WebhookReply } from './signed-post';

/**
 * One batch of the webhook drainer, Temporal-free: wait (briefly) for due events, claim the oldest, send
 * them and record each outcome in the outbox. Events of one stream (an account) go one after the other and
 * a stream stops at its first failure, so an account's events are never delivered out of order; different
 * streams go side by side, at most `concurrency` requests in flight. Retries are the outbox's, not
 * Temporal's: a failed event waits its own backoff (10 s doubling to 10 min) while other accounts move on,
 * and becomes dead when it still fails a day after it was written (outbox.ts), or at once on a 4xx other
 * than 408 and 429.
 *
 * When a batch's first requests all fail retryably (the receiver is down) or the receiver answers 429, the
 * batch stops and asks the drainer to pause (`pauseMs`, growing with each such batch): a receiver that is
 * down for a night costs a few requests every ten minutes, not one per event per backoff step. The events
 * not tried keep their turn and go as soon as it answers again.
 */

export interface EventBackoff {
  firstMs: number;
  maxMs: number;
}

/** 10 s, 20 s, ... 10 min: ten minutes is the longest a recovered receiver waits for the first retries. */
export const DEFAULT_EVENT_BACKOFF: EventBackoff = { firstMs: 10_000, maxMs: 10 * 60_000 };

const WEBHOOK_TIMEOUT_MS = 10_000;
/** Events claimed per batch: a few hundred keep the claim query and the activity's result small. */
export const DEFAULT_BATCH_SIZE = 200;
/** Delivered marks are written in groups: a crash repeats at most this many (plus those in flight). */
const MARK_EVERY = 50;
/** A batch starts no new stream after this long, so the activity ends well inside its timeout. */
const BATCH_TIME_BUDGET_MS = 60_000;
const POLL_INTERVAL_MS = 500;

export interface EventDeliveryDeps {
  db: Knex;
  now: () => Date;
  webhook: { url: string | undefined; secret: string | undefined };
  /** WEBHOOK_EVENTS: the kinds that are sent; the others are marked skipped. */
  kinds: readonly EventKind[];
  /** WEBHOOK_CONCURRENCY. */
  concurrency: number;
  backoff?: EventBackoff;
  /** Called for every outcome, with the number of events (metrics). */
  onOutcome?: (kind: string, outcome: 'delivered' | 'retry' | 'dead' | 'skipped', count: number) => void;
}

export interface DeliverEventsInput {
  /** How long to wait for a due event before answering `claimed: 0`. */
  maxWaitMs: number;
  /** Batches in a row that found the receiver down: the pause grows with it. */
  downStreak: number;
}

export interface DeliverEventsResult {
  claimed: number;
  delivered: number;
  retrying: number;
  dead: number;
  skipped: number;
  /** The receiver looks down (or throttles): pause `pauseMs` before the next batch. */
  receiverUnavailable: boolean;
  pauseMs: number;
}

export async function deliverDueEvents(
  deps: EventDeliveryDeps,
  input: DeliverEventsInput,
  signal?: AbortSignal,
): Promise<DeliverEventsResult> {
  const backoff = deps.backoff ?? DEFAULT_EVENT_BACKOFF;
  const result: DeliverEventsResult = {
    claimed: 0,
    delivered: 0,
    retrying: 0,
    dead: 0,
    skipped: 0,
    receiverUnavailable: false,
    pauseMs: 0,
  };
  const waitUntil = Date.now() + input.maxWaitMs;
  for (;;) {
    result.skipped += await skipUnsent(deps);
    if (deps.webhook.url && (await hasDueEvents(deps.db, deps.now()))) break;
    if (Date.now() >= waitUntil || signal?.aborted) return result;
    await pause(Math.min(POLL_INTERVAL_MS, waitUntil - Date.now()), signal);
  }
  const events = await claimDueEvents(deps.db, {
    now: deps.now(),
    limit: DEFAULT_BATCH_SIZE,
  });
  result.claimed = events.length;
  await new BatchSender(deps, backoff, input.downStreak, result, signal).send(events);
  return result;
}

/** No URL: nothing is sent, whatever WEBHOOK_EVENTS says; an empty list of kinds skips every event. */
async function skipUnsent(deps: EventDeliveryDeps): Promise<number> {
  const sentKinds = deps.webhook.url ? deps.kinds : [];
  const byKind = await skipUnsentEvents(deps.db, { sentKinds, now: deps.now() });
  let total = 0;
  for (const [kind, count] of Object.entries(byKind)) {
    deps.onOutcome?.(kind, 'skipped', count);
    total += count;
  }
  return total;
}

/** The wait before the next try: first * 2^step, at most max. */
export function backoffMs(backoff: EventBackoff, step: number): number {
  return Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.min(step, 30));
}

class BatchSender {
  private readonly started = Date.now();
  private toMark: string[] = [];
  private stop = false;
  /** The first wave: the streams that start at once. If all their first requests fail retryably, stop. */
  private firstWave = 0;
  private firstWaveDone = 0;
  private firstWaveFailed = 0;
  private releaseGate: () => void = () => undefined;
  /** Resolves once every first-wave stream has had its first answer: no stream starts before that. */
  private readonly gate = new Promise<void>((resolve) => (this.releaseGate = resolve));

  constructor(
    private readonly deps: EventDeliveryDeps,
    private readonly backoff: EventBackoff,
    private readonly downStreak: number,
    private readonly result: DeliverEventsResult,
    /** Aborted when the worker stops: no new stream starts (the requests in flight finish). */
    private readonly signal?: AbortSignal,
  ) {}

  async send(events: ClaimedEvent[]): Promise<void> {
    const streams = groupByStream(events);
    this.firstWave = Math.min(this.deps.concurrency, streams.length);
    if (this.firstWave === 0) return;
    let next = 0;
    const worker = async () => {
      while (this.mayStartStream() && next < streams.length) {
        const index = next++;
        await this.sendStream(streams[index], index < this.firstWave);
        await this.gate;
      }
    };
    try {
      await Promise.all(Array.from({ length: this.firstWave }, worker));
    } catch (error) {
      // A database error: the other workers stop after their current request instead of going on alone.
      this.stop = true;
      this.releaseGate();
      throw error;
    } finally {
      await this.flushMarks();
    }
  }

  private mayStartStream(): boolean {
    return !this.stop && !this.signal?.aborted && Date.now() - this.started < BATCH_TIME_BUDGET_MS;
  }

  /** One stream's events in order; a retryable failure leaves the rest of the stream for later. */
  private async sendStream(stream: ClaimedEvent[], firstWave: boolean): Promise<void> {
    for (const [position, event] of stream.entries()) {
      const reply = await this.post(event);
      const status = reply.kind === 'delivered' ? 'delivered' : await this.recordFailure(event, reply);
      if (firstWave && position === 0) this.firstAnswer(reply);
      if (status === 'delivered') {
        this.result.delivered++;
        this.deps.onOutcome?.(event.kind, 'delivered', 1);
        this.toMark.push(event.id);
        if (this.toMark.length >= MARK_EVERY) await this.flushMarks();
        continue;
      }
      if (status === 'dead') {
        this.result.dead++;
        this.deps.onOutcome?.(event.kind, 'dead', 1);
        continue; // the stream's next event is now its head
      }
      this.result.retrying++;
      this.deps.onOutcome?.(event.kind, 'retry', 1);
      if (reply.kind === 'retry' && reply.reason === 'HTTP_429') this.pause(reply.retryAfterMs ?? 0);
      return;
    }
  }

  /** After the first wave: every first request failed retryably, so the receiver is down. Stop and pause. */
  private firstAnswer(reply: WebhookReply): void {
    this.firstWaveDone++;
    if (reply.kind === 'retry') this.firstWaveFailed++;
    if (this.firstWaveDone < this.firstWave) return;
    if (this.firstWaveFailed === this.firstWave) this.pause(0);
    this.releaseGate();
  }

  /** A throttling receiver (429) or one that is down: no new stream starts, the drainer waits. */
  private pause(atLeastMs: number): void {
    this.stop = true;
    this.result.receiverUnavailable = true;
    this.result.pauseMs = Math.max(this.result.pauseMs, backoffMs(this.backoff, this.downStreak), atLeastMs);
  }

  private async post(event: ClaimedEvent): Promise<WebhookReply> {
    const body: EventBody = {
      id: event.id,
      kind: event.kind as EventKind,
      sequence: event.seq,
      createdAt: event.createdAt.toISOString(),
      sentAt: this.deps.now().toISOString(),
      data: event.payload as unknown as EventBody['data'],
    };
    return postSignedWebhook(
      { url: this.deps.webhook.url!, secret: this.deps.webhook.secret, timeoutMs: WEBHOOK_TIMEOUT_MS },
      { id: event.id, body: JSON.stringify(body) },
    );
  }

  private async recordFailure(
    event: ClaimedEvent,
    reply: Exclude<WebhookReply, { kind: 'delivered' }>,
  ): Promise<'pending' | 'dead' | null> {
    const at = this.deps.now();
    const waitMs = Math.max(
      backoffMs(this.backoff, event.attempts),
      reply.kind === 'retry' ? (reply.retryAfterMs ?? 0) : 0,
    );
    const status = await recordFailedAttempt(this.deps.db, {
      id: event.id,
      at,
      error: reply.kind === 'retry' ? reply.reason : `HTTP_${reply.status}`,
      httpStatus: reply.kind === 'rejected' ? reply.status : httpStatusOf(reply.reason),
      final: reply.kind === 'rejected',
      retryAt: new Date(at.getTime() + waitMs),
    });
    return status === 'dead' ? 'dead' : status === null ? null : 'pending';
  }

  private async flushMarks(): Promise<void> {
    const ids = this.toMark;
    this.toMark = [];
    await markDelivered(this.deps.db, ids, this.deps.now());
  }
}

/** Streams in the order of their oldest event; each stream's events in `seq` order (the claim's order). */
function groupByStream(events: ClaimedEvent[]): ClaimedEvent[][] {
  const streams = new Map<string, ClaimedEvent[]>();
  for (const event of events) {
    const stream = streams.get(event.streamKey);
    if (stream) stream.push(event);
    else streams.set(event.streamKey, [event]);
  }
  return [...streams.values()];
}

function httpStatusOf(reason: string): number | null {
  const match = /^HTTP_(\d{3})$/.exec(reason);
  return match ? Number(match[1]) : null;
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
