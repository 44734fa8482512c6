import {
  accountsPerMinute,
  budgetsFor,
  budgetWindowMs,
  callsPerAccount,
  pacingSettingsFromConfig,
} from '../../src/pacing/plan';
import { makeTestConfig } from '../helpers/config';

describe('sync pacing plan', () => {
  const config = makeTestConfig();

  it('counts the calls of one sync: TikTok needs two video/list pages for 25 posts, Instagram one media page', () => {
    expect(callsPerAccount('tiktok', 25)).toEqual([
      { endpoint: 'GET /v2/user/info/', calls: 1 },
      { endpoint: 'POST /v2/video/list/', calls: 2 },
    ]);
    expect(callsPerAccount('instagram', 25)).toEqual([
      { endpoint: 'GET /me', calls: 1 },
      { endpoint: 'GET /me/media', calls: 1 },
    ]);
  });

  it('budgets TikTok per endpoint from TIKTOK_REQUESTS_PER_MINUTE and leaves Instagram uncapped by default', () => {
    const settings = pacingSettingsFromConfig(config.sync);
    expect(budgetsFor('tiktok', settings)).toEqual([
      { endpoint: 'GET /v2/user/info/', limit: 600 },
      { endpoint: 'POST /v2/video/list/', limit: 600 },
    ]);
    expect(budgetsFor('instagram', settings)).toEqual([]);
    expect(accountsPerMinute('instagram', settings)).toBeNull();
  });

  it('paces TikTok under the tightest endpoint: 600/min over 2 video/list calls is at most 300 accounts/min', () => {
    const perMinute = accountsPerMinute('tiktok', pacingSettingsFromConfig(config.sync))!;
    expect(perMinute).toBeLessThan(300);
    // Within the window margin and headroom: still above 85 % of the quota.
    expect(perMinute).toBeGreaterThan(0.85 * 300);
  });

  it('scales per-minute limits to a shorter platform window, which our budget window exceeds', () => {
    const settings = pacingSettingsFromConfig(makeTestConfig({ TIKTOK_REQUESTS_PER_MINUTE: '120', INSTAGRAM_REQUESTS_PER_MINUTE: '60' }).sync, 10_000);
    expect(settings.requestsPerWindow).toEqual({ tiktok: 20, instagram: 10 });
    expect(budgetWindowMs(settings)).toBeGreaterThan(10_000);
  });
});
