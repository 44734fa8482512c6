import { toActivityFailure } from '../../../activities/to-failure';
import type { ListAccountsDueInput } from '../../../activities/sync';
import type { DueAccount } from '../../accounts/store';
import type { SyncAttemptInput, SyncAttemptResult, SyncRun } from '../../sync/account-syncer';
import type { AccountCalls, SyncSettings } from '../../sync/pacing';
import type { Platform } from '../../platforms/types';
import { rateLimitedAccountBackoffMs } from '../../../workflows/retry';
import { addCalls, DispatchPacer } from '../../../workflows/sync-pacer';

/**
 * The benchmark's baseline: the fleet's per-account work in one plain Node process, no Temporal, with the
 * same concurrency, the same Redis budgets, the same pacer (on setTimeout instead of durable timers) and the
 * same retry policy for transient errors (4 attempts, 1 s doubling). What it lacks is durability: a crash
 * loses the run. Comparing the two gives the cost of durability on the same machine.
 */
export interface PlainFleetDeps {
  settings: SyncSettings;
  listAccountsDueForSync(input: ListAccountsDueInput): Promise<DueAccount[]>;
  syncAccountOnce(input: SyncAttemptInput, run: SyncRun): Promise<SyncAttemptResult>;
}

export interface PlainFleetSummary {
  found: number;
  succeeded: number;
  failed: number;
  skipped: number;
  reauthRequired: number;
  durationMs: number;
}

const PAGE_SIZE = 200;
const MAX_ATTEMPTS = 4;

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runPlainFleet(deps: PlainFleetDeps, concurrency: number): Promise<PlainFleetSummary> {
  const started = Date.now();
  const dueBefore = new Date(started - deps.settings.minAgeHours * 3_600_000).toISOString();
  const pacer = new DispatchPacer(
    { budgets: deps.settings.budgets, minSpacingMs: deps.settings.minSpacingMs },
    sleepMs,
  );
  const summary: PlainFleetSummary = {
    found: 0,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    reauthRequired: 0,
    durationMs: 0,
  };
  const slots = new Slots(concurrency);
  const running = new Set<Promise<void>>();

  const syncOne = async (account: DueAccount) => {
    const outcome = await syncWithRetries(deps, pacer, account, dueBefore);
    if (outcome.kind === 'synced') summary.succeeded++;
    else if (outcome.kind === 'auth_revoked') summary.reauthRequired++;
    else if (outcome.kind === 'skipped' || outcome.kind === 'busy') summary.skipped++;
    else summary.failed++;
  };

  let cursor: string | null = null;
  for (;;) {
    const page = await deps.listAccountsDueForSync({ dueBefore, after: cursor, limit: PAGE_SIZE });
    summary.found += page.length;
    // Per-platform order kept, platforms interleaved: a paced platform does not hold up the other.
    await Promise.all(
      (['instagram', 'tiktok'] as Platform[]).map(async (platform) => {
        for (const account of page.filter((candidate) => candidate.platform === platform)) {
          await slots.take();
          await pacer.waitTurn(platform);
          const task: Promise<void> = syncOne(account).finally(() => {
            slots.give();
            running.delete(task);
          });
          running.add(task);
        }
      }),
    );
    if (page.length < PAGE_SIZE) break;
    cursor = page[page.length - 1].id;
  }
  await Promise.all(running);
  summary.durationMs = Date.now() - started;
  return summary;
}

type Outcome = SyncAttemptResult | { kind: 'failed' };

async function syncWithRetries(
  deps: PlainFleetDeps,
  pacer: DispatchPacer,
  account: DueAccount,
  dueBefore: string,
): Promise<Outcome> {
  const run = { owner: `baseline/${account.id}`, workflowId: 'baseline', heartbeat: () => undefined };
  let calls: AccountCalls = { profile: 0, media: 0 };
  let refusals = 0;
  for (let attempt = 1, waits = 0; attempt <= MAX_ATTEMPTS && waits < 50;) {
    let result: SyncAttemptResult;
    try {
      // As the fleet's batched first attempt: no profile to resume from yet.
      const firstAttempt = attempt === 1 && waits === 0;
      result = await deps.syncAccountOnce({ accountId: account.id, dueBefore }, { ...run, firstAttempt });
    } catch (error) {
      // The activity's own mapping decides what is worth a retry.
      if ((toActivityFailure(error) as { nonRetryable?: boolean }).nonRetryable || attempt === MAX_ATTEMPTS)
        return { kind: 'failed' };
      await sleepMs(1000 * 2 ** (attempt - 1));
      attempt++;
      continue;
    }
    if (result.kind === 'synced') pacer.observe(result.platform, addCalls(calls, result.calls));
    if (result.kind !== 'rate_limited') return result;
    calls = addCalls(calls, result.calls);
    waits++;
    // As the fleet workflow: a spent budget or an app-wide throttle pauses the platform's dispatches and the
    // retry takes a new turn; a paused endpoint or a throttled account waits alone and resumes.
    if (result.scope === 'platform') {
      pacer.pause(result.platform, result.waitMs);
      await pacer.waitTurn(result.platform);
    } else {
      const backoff = result.reason === 'platform_rate_limited' ? rateLimitedAccountBackoffMs(++refusals) : 0;
      await sleepMs(Math.max(result.waitMs, backoff));
      await pacer.waitWhilePaused(result.platform);
    }
  }
  return { kind: 'failed' };
}

/** A counting semaphore. */
class Slots {
  private readonly waiting: Array<() => void> = [];
  constructor(private free: number) {}
  async take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
