import type { Platform } from '../src/platforms/types';
import type { AccountCalls, PlatformBudgetPlan } from '../src/sync/pacing';
import type { SyncFleetPacingStats } from './contract';

/**
 * Spaces the fleet's dispatches with durable timers at the rate the call budgets allow, per platform.
 * The rate follows what accounts really cost: a TikTok account with under 20 public videos needs one
 * video/list call, not two, so pacing on the worst case would leave ~20 % of the quota unused. It starts from
 * the worst case and converges on the observed average calls per account (weighted against a prior of
 * PRIOR_ACCOUNTS worst-case accounts). Dispatches within BATCH_WINDOW_MS of now leave together: one timer
 * per batch, not per account (TikTok's ~5 accounts a second: 5x fewer timers and history events).
 * A pause (a spent budget, Instagram's app-wide code 4 or usage past 90 %) stops a platform's dispatches until
 * it ends; a 429 pauses one endpoint in the budget and only the accounts that need it wait.
 * The Redis budget stays the hard limit; this keeps the fleet from running into it.
 * `sleep` is injected: the workflow passes its durable timer, the benchmark's plain-Node baseline setTimeout.
 */
export const BATCH_WINDOW_MS = 1_000;
/**
 * 3 % under what the budget sustains: batches and estimate drift then rarely meet a full window, while a
 * steady 100 % would make a short budget wait the norm. With the 2 s window margin: ~94 % of the quota.
 */
export const PACING_HEADROOM = 0.97;
const PRIOR_ACCOUNTS = 5;
/**
 * A dispatcher that wakes late (a busy worker or server: its timer fired, its workflow task ran later) takes the
 * slots it missed, up to this far back, instead of losing them: measured on a loaded 2-core dev server, fleets
 * with many retries (429 bursts on 5 % of the accounts) kept only ~85 % of the video/list quota busy while
 * the budget never refused a call. The Redis budget stays the hard limit.
 */
export const MAX_CATCH_UP_MS = BATCH_WINDOW_MS;

export interface PacerSettings {
  budgets: Record<Platform, PlatformBudgetPlan | null>;
  /** Minimum time between any two dispatches (SYNC_MIN_SPACING_MS); exact, never batched. */
  minSpacingMs: number;
  /** Calls observed by earlier runs of this fleet sync (continue-as-new). */
  observed?: SyncFleetPacingStats;
}

export class DispatchPacer {
  private readonly nextAt = new Map<Platform, number>();
  private readonly pausedUntil = new Map<Platform, number>();
  private readonly throttledUntil = new Map<Platform, number>();
  private readonly observed: SyncFleetPacingStats;
  private lastDispatchAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly settings: PacerSettings,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    this.observed = copyStats(settings.observed ?? {});
  }

  /** Resolves when an account of `platform` may be dispatched; takes its slot. */
  async waitTurn(platform: Platform): Promise<void> {
    await this.waitWhilePaused(platform);
    const now = Date.now();
    const rateAt = this.takeRateSlot(platform, now);
    const spacingAt = this.takeSpacingSlot(now);
    // Within the batch window the slot is taken now; beyond it, sleep until the slot itself.
    const target = Math.max(rateAt - now <= BATCH_WINDOW_MS ? now : rateAt, spacingAt);
    if (target > now) await this.sleep(target - now);
    // A pause that started while this dispatch slept also holds it.
    await this.waitWhilePaused(platform);
  }

  /**
   * Takes a slot only if one is free within the batch window right now (no pause, no exact spacing): lets the
   * fleet put several accounts in one activity without ever running ahead of the rate.
   */
  tryTurnNow(platform: Platform): boolean {
    const now = Date.now();
    if (this.settings.minSpacingMs > 0 || (this.pausedUntil.get(platform) ?? 0) > now) return false;
    if (!this.accountsPerMinute(platform)) return true;
    if ((this.nextAt.get(platform) ?? now) - now > BATCH_WINDOW_MS) return false;
    this.takeRateSlot(platform, now);
    return true;
  }

  /** What a synced account actually cost. */
  observe(platform: Platform, calls: AccountCalls): void {
    const stats = (this.observed[platform] ??= { accounts: 0, profile: 0, media: 0 });
    stats.accounts++;
    stats.profile += calls.profile;
    stats.media += calls.media;
  }

  /** A spent budget or an app-wide throttle: no dispatch of this platform for `ms`. */
  pause(platform: Platform, ms: number): void {
    const until = Date.now() + ms;
    if (until > (this.pausedUntil.get(platform) ?? 0)) this.pausedUntil.set(platform, until);
  }

  /**
   * A paused endpoint or a throttled account: dispatches go on (the budget's pause keys hold back the calls
   * that must wait, and the throttled account sleeps on its own timer), but progress shows the wait.
   */
  noteThrottle(platform: Platform, ms: number): void {
    const until = Date.now() + ms;
    if (until > (this.throttledUntil.get(platform) ?? 0)) this.throttledUntil.set(platform, until);
  }

  /** The latest pause or throttle still running, as an ISO instant; null when nothing waits. */
  rateLimitedUntil(): string | null {
    const latest = Math.max(0, ...this.pausedUntil.values(), ...this.throttledUntil.values());
    return latest > Date.now() ? new Date(latest).toISOString() : null;
  }

  stats(): SyncFleetPacingStats {
    return copyStats(this.observed);
  }

  /** Accounts a minute the budget allows at the average cost seen so far; null: uncapped. */
  accountsPerMinute(platform: Platform): number | null {
    const budget = this.settings.budgets[platform];
    if (!budget) return null;
    const seen = this.observed[platform] ?? { accounts: 0, profile: 0, media: 0 };
    const average = (observedCalls: number, worstCase: number) =>
      (observedCalls + worstCase * PRIOR_ACCOUNTS) / (seen.accounts + PRIOR_ACCOUNTS);
    const perWindow = Math.min(
      budget.profileLimit / average(seen.profile, budget.worstCase.profile),
      budget.mediaLimit / average(seen.media, budget.worstCase.media),
    );
    return perWindow * (60_000 / budget.windowMs) * PACING_HEADROOM;
  }

  /** Resolves once no pause of `platform` runs (takes no slot). */
  async waitWhilePaused(platform: Platform): Promise<void> {
    for (;;) {
      const wait = (this.pausedUntil.get(platform) ?? 0) - Date.now();
      if (wait <= 0) return;
      await this.sleep(wait);
    }
  }

  private takeRateSlot(platform: Platform, now: number): number {
    const perMinute = this.accountsPerMinute(platform);
    if (!perMinute) return now;
    const at = Math.max(this.nextAt.get(platform) ?? now, now - MAX_CATCH_UP_MS);
    this.nextAt.set(platform, at + 60_000 / perMinute);
    return at;
  }

  private takeSpacingSlot(now: number): number {
    if (this.settings.minSpacingMs <= 0) return now;
    const at = Math.max(now, this.lastDispatchAt + this.settings.minSpacingMs);
    this.lastDispatchAt = at;
    return at;
  }
}

/** The calls of two attempts of one account together. */
export function addCalls(a: AccountCalls, b: AccountCalls): AccountCalls {
  return { profile: a.profile + b.profile, media: a.media + b.media };
}

function copyStats(stats: SyncFleetPacingStats): SyncFleetPacingStats {
  return JSON.parse(JSON.stringify(stats)) as SyncFleetPacingStats;
}
