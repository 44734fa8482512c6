import {
  budgetsFor,
  budgetWindowMs,
  expectedMediaCalls,
  pacingSettingsFromConfig,
  platformBudgetPlan,
} from '../../src/sync/pacing';
import { makeTestConfig } from '../helpers/config';
import { BATCH_WINDOW_MS, DispatchPacer, MAX_CATCH_UP_MS } from '../../workflows/sync-pacer';

describe('sync pacing plan', () => {
  const config = makeTestConfig();

  it('counts media calls from the profile: TikTok pages 20 videos a call, Instagram one page of up to 100', () => {
    expect(expectedMediaCalls('tiktok', 25, 87)).toBe(2);
    expect(expectedMediaCalls('tiktok', 25, 21)).toBe(2);
    expect(expectedMediaCalls('tiktok', 25, 20)).toBe(1);
    // An empty list is still one call.
    expect(expectedMediaCalls('tiktok', 25, 0)).toBe(1);
    expect(expectedMediaCalls('instagram', 25, 500)).toBe(1);
    // Unknown count: the worst case.
    expect(expectedMediaCalls('tiktok', 25, null)).toBe(2);
  });

  it('budgets TikTok per endpoint from TIKTOK_REQUESTS_PER_MINUTE and leaves Instagram uncapped by default', () => {
    const settings = pacingSettingsFromConfig(config.sync);
    expect(budgetsFor('tiktok', settings)).toEqual([
      { endpoint: 'GET /v2/user/info/', limit: 600 },
      { endpoint: 'POST /v2/video/list/', limit: 600 },
    ]);
    expect(budgetsFor('instagram', settings)).toEqual([]);
    expect(platformBudgetPlan('instagram', settings)).toBeNull();
    expect(platformBudgetPlan('tiktok', settings)).toEqual({
      windowMs: 62_000,
      profileLimit: 600,
      mediaLimit: 600,
      worstCase: { profile: 1, media: 2 },
    });
  });

  it('scales per-minute limits to a shorter platform window, which our budget window exceeds', () => {
    const settings = pacingSettingsFromConfig(
      makeTestConfig({ TIKTOK_REQUESTS_PER_MINUTE: '120', INSTAGRAM_REQUESTS_PER_MINUTE: '60' }).sync,
      10_000,
    );
    expect(settings.requestsPerWindow).toEqual({ tiktok: 20, instagram: 10 });
    expect(budgetWindowMs(settings)).toBeGreaterThan(10_000);
  });

  it('lets a dispatcher that woke late take the slots it missed, at most one batch window back', async () => {
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const budget = {
        windowMs: 60_000,
        profileLimit: 1_000,
        mediaLimit: 1_000,
        worstCase: { profile: 1, media: 1 },
      };
      const pacer = new DispatchPacer(
        { budgets: { tiktok: budget, instagram: null }, minSpacingMs: 0 },
        async (ms) => void (now += ms),
      );
      const intervalMs = 60_000 / pacer.accountsPerMinute('tiktok')!;
      const takeAllNow = () => {
        let taken = 0;
        while (pacer.tryTurnNow('tiktok')) taken++;
        return taken;
      };
      await pacer.waitTurn('tiktok');
      // On time: the slots of the next batch window.
      expect(takeAllNow()).toBe(Math.floor(BATCH_WINDOW_MS / intervalMs));
      // Woken 5 s late: the missed slots of the last second too, not the whole 5 s.
      now += 5_000;
      const late = takeAllNow();
      expect(late).toBeGreaterThanOrEqual(Math.floor((MAX_CATCH_UP_MS + BATCH_WINDOW_MS) / intervalMs));
      expect(late).toBeLessThanOrEqual(Math.ceil((MAX_CATCH_UP_MS + BATCH_WINDOW_MS) / intervalMs) + 1);
    } finally {
      clock.mockRestore();
    }
  });
});
