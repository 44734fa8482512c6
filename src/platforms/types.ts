/**
 * The one interface both platform clients implement, with normalized results. Workflows and activities
 * depend on this file and errors.ts only, never on a platform's wire format.
 */
/** The platforms socialsync connects: the one definition every layer (database enum included) uses. */
export const PLATFORMS = ['instagram', 'tiktok'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** A token set as obtained from the platform. Lives only inside activities; never logged or returned. */
export interface TokenSet {
  /** Instagram: the professional-account `user_id` from GET /me, as a string. TikTok: `open_id`. */
  externalId: string;
  accessToken: string;
  accessExpiresAt: Date;
  /** TikTok only: rotated on every refresh, the new value replaces the stored one. */
  refreshToken: string | null;
  refreshExpiresAt: Date | null;
  /** When the access token was issued (Instagram refuses to refresh a token under 24 h old). */
  obtainedAt: Date;
  /** Scopes actually granted (may be a subset of those requested). */
  scopes: string[];
}

/** What a refresh needs; the activity decrypts these just before the call. */
export interface StoredTokens {
  accessToken: string;
  refreshToken: string | null;
  /** When the current access token was obtained; Instagram's 24-hour rule is checked against it. */
  obtainedAt: Date;
  /**
   * Optional. Instagram's refresh answer names no account: with the stored id the client need not call
   * GET /me to fill `TokenSet.externalId`.
   */
  externalId?: string;
  /** Optional. Carried into the refreshed TokenSet when the platform does not restate the granted scopes. */
  scopes?: string[];
}

export type RefreshOutcome =
  | { kind: 'refreshed'; tokens: TokenSet }
  /** Instagram: the token is under 24 h old; not a failure, try again after `retryAfter`. */
  | { kind: 'too_young'; retryAfter: Date };

/** Usage the platform reported (Instagram X-App-Usage / X-Business-Use-Case-Usage), in percent 0-100. */
export interface PlatformUsage {
  /** The highest of every reported percentage: pacing slows down as it approaches 100. */
  maxPercent: number;
  appUsage?: { callCount: number; totalTime: number; totalCputime: number };
  businessUseCase?: {
    callCount: number;
    totalTime: number;
    totalCputime: number;
    regainAccessSeconds: number;
  };
}

export interface PlatformResult<T> {
  value: T;
  usage: PlatformUsage | null;
  /** fbtrace_id / log_id when the platform sent one. */
  requestId: string | null;
}

export interface Profile {
  externalId: string;
  username: string;
  displayName: string | null;
  followers: number;
  following: number;
  mediaCount: number;
}

export interface MediaItem {
  platformId: string;
  /** IMAGE | VIDEO | CAROUSEL_ALBUM | REELS (Instagram media_product_type REELS wins), VIDEO (TikTok). */
  type: string;
  caption: string | null;
  permalink: string | null;
  mediaUrl: string | null;
  publishedAt: Date;
  likes: number;
  comments: number;
  /** null where the platform does not give it (Instagram). */
  shares: number | null;
  views: number | null;
}

export interface PlatformClient {
  readonly platform: Platform;
  /** The OAuth dialog URL the user is sent to. */
  authorizeUrl(state: string): string;
  exchangeCode(code: string): Promise<PlatformResult<TokenSet>>;
  refreshToken(current: StoredTokens): Promise<PlatformResult<RefreshOutcome>>;
  getProfile(accessToken: string): Promise<PlatformResult<Profile>>;
  /**
   * Newest first, in full pages until `limit` items or the end of the list (never stopping on a short page).
   */
  listRecentMedia(
    accessToken: string,
    limit: number,
    options?: MediaListOptions,
  ): Promise<PlatformResult<MediaItem[]>>;
}

export interface MediaListOptions {
  /**
   * Awaited before each page is requested (0 for the first): the sync charges every call to its budget
   * before making it, and throws here to stop the listing when none is left.
   */
  beforePage?: (page: number) => Promise<void>;
}
