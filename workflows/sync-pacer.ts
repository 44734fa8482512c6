import { sleep } from '@temporalio/workflow';
import type { Platform } from './shared';

/**
 * Spaces the fleet's dispatches with durable timers at the rate the call budgets allow, per platform.
 * Dispatches that fall within BATCH_WINDOW_MS of now leave together: one timer per batch instead of one
 * per account (TikTok at ~282 accounts/min is ~5 a second: 5x fewer timers and history events), while the
 * average rate stays exact. A pause (spent budget, a 429, Instagram usage past 90 %) stops a platform's
 * dispatches until it ends. The Redis budget remains the hard limit; this keeps the fleet from hammering it.
 */
export const BATCH_WINDOW_MS = 1_000;

export interface PacerSettings {
  /** Accounts per minute per platform; null: no rate cap (concurrency alone bounds it). */
  accountsPerMinute: Record<Platform, number | null>;
  /** Minimum time between any two dispatches (SYNC_MIN_SPACING_MS); exact, never batched. */
  minSpacingMs: number;
}

export class DispatchPacer {
  private readonly nextAt = new Map<Platform, number>();
  private readonly pausedUntil = new Map<Platform, number>();
  private lastDispatchAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly settings: PacerSettings) {}

  /** Resolves when an account of `platform` may be dispatched; takes its slot. */
  async waitTurn(platform: Platform): Promise<void> {
    await this.waitWhilePaused(platform);
    const now = Date.now();
    const rateAt = this.takeRateSlot(platform, now);
    const spacingAt = this.takeSpacingSlot(now);
    // Within the batch window the slot is taken now; beyond it, sleep until the slot itself.
    const target = Math.max(rateAt - now <= BATCH_WINDOW_MS ? now : rateAt, spacingAt);
    if (target > now) await sleep(target - now);
    // A pause that started while this dispatch slept also holds it.
    await this.waitWhilePaused(platform);
  }

  pause(platform: Platform, ms: number): void {
    const until = Date.now() + ms;
    if (until > (this.pausedUntil.get(platform) ?? 0)) this.pausedUntil.set(platform, until);
  }

  /** The latest pause still running, as an ISO instant; null when nothing waits. */
  rateLimitedUntil(): string | null {
    const latest = Math.max(0, ...this.pausedUntil.values());
    return latest > Date.now() ? new Date(latest).toISOString() : null;
  }

  private async waitWhilePaused(platform: Platform): Promise<void> {
    for (;;) {
      const wait = (this.pausedUntil.get(platform) ?? 0) - Date.now();
      if (wait <= 0) return;
      await sleep(wait);
    }
  }

  private takeRateSlot(platform: Platform, now: number): number {
    const perMinute = this.settings.accountsPerMinute[platform];
    if (!perMinute) return now;
    const at = Math.max(this.nextAt.get(platform) ?? now, now);
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
