import {
  budgetsFor,
  budgetWindowMs,
  expectedMediaCalls,
  pacingSettingsFromConfig,
  platformBudgetPlan,
} from '../../src/sync/pacing';
import { makeTestConfig } from '../helpers/config';

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
});
