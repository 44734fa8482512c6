import type { EndpointId } from './endpoints';

/** Registered app credentials. A code issued without a redirect URI accepts any at exchange. */
export interface InstagramApp {
  appId: string;
  appSecret: string;
  redirectUri: string | null;
}
export interface TikTokApp {
  clientKey: string;
  clientSecret: string;
  redirectUri: string | null;
}

/** Every undocumented Instagram point (docs/platforms.md#open-questions) is a switch here. */
export interface InstagramBehaviour {
  /** `{"data":[{...}]}` (Business Login docs) or flat with user_id as a JSON number above 2^53. */
  exchangeShape: 'wrapped' | 'flat';
  codeLifetimeSeconds: number;
  shortLivedSeconds: number;
  longLivedExpiresInSeconds: number;
  /** Up to this many seconds are taken off expires_in at random (a real answer said 5127758). */
  expiresInJitterSeconds: number;
  refreshIssuesNewToken: boolean;
  oldTokenValidAfterRefresh: boolean;
  refreshIncludesPermissions: boolean;
  /** The refusal of a token under 24 h old: undocumented, so configurable. */
  tooYoungError: { status: number; code: number; subcode?: number; message: string };
  defaultPageLimit: number;
  maxPageLimit: number;
  /** Probability that a media page is cut short (possibly empty) while still carrying `next`. */
  shortPageRate: number;
  /**
   * Every media page with more items behind it holds this many fewer than `limit` (at least one) and still
   * carries `next`: a deterministic short-pages mode (0: off).
   */
  shortPageShortfall: number;
  maxReachableMedia: number;
  /** HTTP statuses of Meta envelopes: 400 by default; some see 403 for throttling, 500 for codes 1/2. */
  errorStatus: number;
  throttleStatus: number;
  transientStatus: number;
}

export interface TikTokBehaviour {
  /** A: 86 400 s / 31 536 000 s (older docs). B: 7 200 s / 15 552 000 s (2026 docs). */
  lifetimes: 'A' | 'B' | { accessSeconds: number; refreshSeconds: number };
  refreshWindow: 'fixed' | 'sliding';
  /** strict: a new refresh token each time, the old one answers invalid_grant. lenient: the same string. */
  rotation: 'strict' | 'lenient';
  revokeKillsRefreshToken: boolean;
  codeLifetimeSeconds: number;
  /** Display API error bodies under HTTP 200 (observed quirk) instead of the documented statuses. */
  errorsWithHttp200: boolean;
  oauthErrorStatus: 400 | 200;
  maxCountOver20: 'error' | 'clamp';
  scopeError: 'scope_not_authorized' | 'scope_permission_missed';
  shortPageRate: number;
  /**
   * Every video/list page with more videos behind it holds this many fewer than `max_count` (at least one)
   * while `has_more` stays true: a deterministic short-pages mode (0: off; 2 answers 18 of 20).
   */
  shortPageShortfall: number;
  videoQueryForeignIds: 'omit' | 'error';
}

export interface InstagramQuota {
  /** BUC: calls per (app, account) per rolling 24 h = 4800 x impressions. Tiny values are fine. */
  impressionsPerAccount: number;
  /** Platform limit: calls per rolling hour = 200 x daily active users, app-wide. */
  dailyActiveUsers: number;
  /** Usage headers appear once this percentage is reached ("once enough calls have been made"). */
  usageHeadersFromPercent: number;
  usageHeaders: 'both' | 'business' | 'app';
  /** Error code past 100 % of the BUC budget (4, 17, 613 or 80002). */
  throttleCode: number;
}

export interface TikTokQuota {
  requestsPerWindow: number;
  windowMs: number;
  /** Counting key: per app (default) or per app x authorised user (docs/platforms.md#tiktok-rate-limits; undocumented). */
  keying: 'app' | 'app_user';
}

export interface EndpointFaults {
  /** Probability of a transient failure: the platform's own transient error, or a bare 502/503. */
  errorRate?: number;
  errorKind?: 'platform' | 'http' | 'mixed';
  /** Probability of holding the request for `hangMs` and then dropping the connection. */
  timeoutRate?: number;
  /** Probability of a 200 with a truncated JSON body. */
  malformedRate?: number;
  latencyMs?: number;
  jitterMs?: number;
}

export interface FaultSettings {
  /** Applies to every endpoint; `endpoints` entries override it field by field. */
  all?: EndpointFaults;
  endpoints?: Partial<Record<EndpointId, EndpointFaults>>;
  hangMs?: number;
}

export interface SimulatorSettings {
  seed: number;
  accountsPerPlatform: number;
  apps: { instagram: InstagramApp; tiktok: TikTokApp };
  instagram: InstagramBehaviour;
  tiktok: TikTokBehaviour;
  quotas: { instagram: InstagramQuota; tiktok: TikTokQuota };
  faults: FaultSettings;
}

export interface SimulatorOptions {
  seed?: number;
  accountsPerPlatform?: number;
  apps?: { instagram?: Partial<InstagramApp>; tiktok?: Partial<TikTokApp> };
  instagram?: Partial<InstagramBehaviour>;
  tiktok?: Partial<TikTokBehaviour>;
  quotas?: { instagram?: Partial<InstagramQuota>; tiktok?: Partial<TikTokQuota> };
  faults?: FaultSettings;
  /** Start the clock this far from real time. */
  clockOffsetMs?: number;
  host?: string;
}

export const DEFAULT_SETTINGS: SimulatorSettings = {
  seed: 42,
  accountsPerPlatform: 20,
  apps: {
    instagram: { appId: 'sim-instagram-app', appSecret: 'sim-instagram-secret', redirectUri: null },
    tiktok: { clientKey: 'sim-tiktok-key', clientSecret: 'sim-tiktok-secret', redirectUri: null },
  },
  instagram: {
    exchangeShape: 'wrapped',
    codeLifetimeSeconds: 3600,
    shortLivedSeconds: 3600,
    longLivedExpiresInSeconds: 5_183_944,
    expiresInJitterSeconds: 0,
    refreshIssuesNewToken: true,
    oldTokenValidAfterRefresh: true,
    refreshIncludesPermissions: false,
    tooYoungError: {
      status: 400,
      code: 100,
      message: 'Unsupported request: the access token must be at least 24 hours old to be refreshed',
    },
    defaultPageLimit: 25,
    maxPageLimit: 100,
    shortPageRate: 0,
    shortPageShortfall: 0,
    maxReachableMedia: 10_000,
    errorStatus: 400,
    throttleStatus: 400,
    transientStatus: 400,
  },
  tiktok: {
    lifetimes: 'A',
    refreshWindow: 'fixed',
    rotation: 'strict',
    revokeKillsRefreshToken: true,
    codeLifetimeSeconds: 600,
    errorsWithHttp200: false,
    oauthErrorStatus: 400,
    maxCountOver20: 'error',
    scopeError: 'scope_not_authorized',
    shortPageRate: 0,
    shortPageShortfall: 0,
    videoQueryForeignIds: 'omit',
  },
  quotas: {
    // 4800 x 1000 impressions = 4.8 M calls per account per day: a normal sync never gets near it.
    instagram: {
      impressionsPerAccount: 1000,
      dailyActiveUsers: 1_000_000,
      usageHeadersFromPercent: 10,
      usageHeaders: 'both',
      throttleCode: 80002,
    },
    tiktok: { requestsPerWindow: 600, windowMs: 60_000, keying: 'app' },
  },
  faults: {},
};

export const TIKTOK_LIFETIME_PRESETS = {
  A: { accessSeconds: 86_400, refreshSeconds: 31_536_000 },
  B: { accessSeconds: 7_200, refreshSeconds: 15_552_000 },
} as const;

export function resolveSettings(options: SimulatorOptions): SimulatorSettings {
  const d = DEFAULT_SETTINGS;
  return {
    seed: options.seed ?? d.seed,
    accountsPerPlatform: options.accountsPerPlatform ?? d.accountsPerPlatform,
    apps: {
      instagram: { ...d.apps.instagram, ...options.apps?.instagram },
      tiktok: { ...d.apps.tiktok, ...options.apps?.tiktok },
    },
    instagram: { ...d.instagram, ...options.instagram },
    tiktok: { ...d.tiktok, ...options.tiktok },
    quotas: {
      instagram: { ...d.quotas.instagram, ...options.quotas?.instagram },
      tiktok: { ...d.quotas.tiktok, ...options.quotas?.tiktok },
    },
    faults: options.faults ?? {},
  };
}
