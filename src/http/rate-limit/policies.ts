export const POLICY_NAMES = ['general', 'auth', 'social', 'upload', 'chat', 'connection'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface PolicyBehaviour {
  /** What one budget belongs to. */
  key: 'ip' | 'user';
  /**
   * What happens while Redis is unavailable (not connected, or the limiters' breaker open, redis-store-guard.ts)
   * or one command fails:
   * - allow: let the request through (logged and counted): a Redis outage must not take the API down.
   * - memory: fall back to an in-process limiter, so brute-force and abuse protection holds per process.
   */
  onStoreError: 'allow' | 'memory';
  appliesTo: string;
}

/**
 * The six policies (numbers from config, RATE_LIMIT_*, defaults as the marketplace's earlier Express API had
 * them; docs/api.md). General and social fail open: a Redis outage must not take the API down; auth falls back
 * to memory so logins stay protected; upload, chat and connection are per-user abuse guards and fall back to
 * memory as well.
 */
export const POLICY_BEHAVIOUR: Record<PolicyName, PolicyBehaviour> = {
  general: { key: 'ip', onStoreError: 'allow', appliesTo: 'every /api/v1 route' },
  auth: { key: 'ip', onStoreError: 'memory', appliesTo: 'signup (both), verify-otp, login' },
  social: {
    key: 'user',
    onStoreError: 'allow',
    appliesTo: '/instagram/sync, /tiktok/sync (skipped for X-Cron-Secret callers)',
  },
  upload: { key: 'user', onStoreError: 'memory', appliesTo: 'upload routes (none yet)' },
  chat: { key: 'user', onStoreError: 'memory', appliesTo: 'chat routes (none yet)' },
  connection: { key: 'user', onStoreError: 'memory', appliesTo: '/accounts/:platform/connect' },
};

/** "100 per 15 min" for documentation pages. */
export function describeWindow(windowSeconds: number): string {
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'min'],
  ];
  for (const [seconds, label] of units) {
    if (windowSeconds % seconds === 0) {
      const count = windowSeconds / seconds;
      return count === 1 ? label : `${count} ${label}`;
    }
  }
  return `${windowSeconds} s`;
}
