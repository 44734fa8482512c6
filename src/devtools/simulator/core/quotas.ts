import type { EndpointId } from './endpoints';
import type { InstagramQuota, TikTokQuota } from './options';
import { SlidingWindowCounter } from './sliding-window';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface InstagramVerdict {
  allowed: boolean;
  /** Which budget ran out: the account's business-use-case one, or the app's platform one. */
  exhausted: 'business' | 'app' | null;
  businessPercent: number;
  appPercent: number;
  /** Minutes until the exhausted budget has room again (Meta's estimated_time_to_regain_access). */
  regainMinutes: number;
}

/**
 * TikTok: N requests per endpoint per sliding window (docs/platforms.md#tiktok-rate-limits). Instagram: BUC calls per (app, account)
 * per rolling 24 h = 4800 x impressions, and platform calls per rolling hour = 200 x DAU (docs/platforms.md#instagram-rate-limits-and-usage-headers).
 */
export class QuotaBook {
  private readonly tiktok = new SlidingWindowCounter();
  private readonly instagramAccounts = new SlidingWindowCounter();
  private readonly instagramApp = new SlidingWindowCounter();

  takeTikTok(endpoint: EndpointId, account: string | null, nowMs: number, quota: TikTokQuota): boolean {
    const key = quota.keying === 'app_user' ? `${endpoint}|${account ?? 'anonymous'}` : endpoint;
    return this.tiktok.tryTake(key, nowMs, quota.requestsPerWindow, quota.windowMs).allowed;
  }

  takeInstagram(account: string, nowMs: number, quota: InstagramQuota): InstagramVerdict {
    const businessBudget = Math.max(1, Math.floor(4800 * quota.impressionsPerAccount));
    const appBudget = Math.max(1, Math.floor(200 * quota.dailyActiveUsers));
    const app = this.instagramApp.tryTake('app', nowMs, appBudget, HOUR_MS);
    const business = app.allowed
      ? this.instagramAccounts.tryTake(account, nowMs, businessBudget, DAY_MS)
      : { allowed: true, count: 0, freesAtMs: null };
    const exhausted = !app.allowed ? 'app' : !business.allowed ? 'business' : null;
    const freesAtMs =
      exhausted === 'app' ? app.freesAtMs : exhausted === 'business' ? business.freesAtMs : null;
    return {
      allowed: exhausted === null,
      exhausted,
      businessPercent: percent(business.count, businessBudget),
      appPercent: percent(app.count, appBudget),
      regainMinutes: freesAtMs === null ? 0 : Math.max(1, Math.ceil((freesAtMs - nowMs) / 60_000)),
    };
  }

  clear(): void {
    this.tiktok.clear();
    this.instagramAccounts.clear();
    this.instagramApp.clear();
  }
}

function percent(count: number, budget: number): number {
  return Math.min(100, Math.round((count / budget) * 100));
}
