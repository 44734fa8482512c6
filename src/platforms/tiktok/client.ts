import type { Config } from '../../config';
import { platformError, type Transport } from '../http';
import type {
  MediaItem,
  MediaListOptions,
  PlatformClient,
  PlatformResult,
  Profile,
  RefreshOutcome,
  StoredTokens,
  TokenSet,
} from '../types';
import { callTikTokApi, callTikTokOauth } from './request';
import {
  USER_FIELDS,
  VIDEO_FIELDS,
  userInfoSchema,
  videoListSchema,
  type TikTokTokenResponse,
  type TikTokVideo,
} from './schemas';

export type TikTokSettings = Config['tiktok'];

/** video/list accepts max_count 1-20 (docs/platforms.md#tiktok-video-list): 25 videos take two full pages. */
export const VIDEO_PAGE_SIZE = 20;
const SCOPES = 'user.info.basic,user.info.profile,user.info.stats,video.list';

/** TikTok Login Kit v2 and the Display API on open.tiktokapis.com. */
export class TikTokClient implements PlatformClient {
  readonly platform = 'tiktok' as const;

  constructor(
    private readonly settings: TikTokSettings,
    private readonly transport: Transport,
    private readonly now: () => Date,
  ) {}

  /** https://developers.tiktok.com/doc/login-kit-web */
  authorizeUrl(state: string): string {
    const query = new URLSearchParams({
      client_key: this.settings.clientKey,
      scope: SCOPES,
      response_type: 'code',
      redirect_uri: this.settings.redirectUri,
      state,
    });
    return `${this.settings.authorizeUrl}?${query}`;
  }

  /** https://developers.tiktok.com/doc/oauth-user-access-token-management */
  async exchangeCode(code: string): Promise<PlatformResult<TokenSet>> {
    // Codes contain `*` and `!`; one that is still percent-encoded would be rejected (docs/platforms.md#tiktok-pitfalls).
    const cleanCode = code.includes('%') ? safeDecode(code) : code;
    return this.tokenRequest(
      { grant_type: 'authorization_code', code: cleanCode, redirect_uri: this.settings.redirectUri },
      [cleanCode],
    );
  }

  /**
   * The answer's refresh token replaces the stored one: under rotation the old one now answers invalid_grant.
   * https://developers.tiktok.com/docs/en/oauth-refresh-a-user-access-token
   */
  async refreshToken(current: StoredTokens): Promise<PlatformResult<RefreshOutcome>> {
    if (!current.refreshToken) {
      throw platformError('tiktok', {
        kind: 'invalid_request',
        code: 'NO_REFRESH_TOKEN',
        endpoint: 'POST /v2/oauth/token/',
        message: 'no refresh token stored for this account',
      });
    }
    const result = await this.tokenRequest(
      { grant_type: 'refresh_token', refresh_token: current.refreshToken },
      [current.refreshToken, current.accessToken],
    );
    return { ...result, value: { kind: 'refreshed', tokens: result.value } };
  }

  /** https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info */
  async getProfile(accessToken: string): Promise<PlatformResult<Profile>> {
    const reply = await callTikTokApi(
      this.transport,
      this.now,
      {
        endpoint: 'GET /v2/user/info/',
        url: `${this.settings.apiUrl}/v2/user/info/?fields=${USER_FIELDS}`,
        method: 'GET',
        headers: { authorization: `Bearer ${accessToken}` },
        secrets: [accessToken],
      },
      userInfoSchema,
    );
    const user = reply.value.data.user;
    const profile: Profile = {
      externalId: user.open_id,
      username: user.username || user.display_name || '',
      displayName: user.display_name || null,
      followers: user.follower_count,
      following: user.following_count,
      mediaCount: user.video_count,
    };
    return { ...reply, value: profile };
  }

  /**
   * Pages with the millisecond `cursor` while `has_more`, always asking for a full page: a page may hold
   * fewer than max_count videos and still have more behind it (docs/platforms.md#tiktok-video-list), so page
   * size is never the end signal, and asking for only the videos still missing would turn one short page into
   * a tail of ever smaller calls (18, 5, 1, 1 for 25). Stops once `limit` videos are collected.
   * https://developers.tiktok.com/doc/tiktok-api-v2-video-list
   */
  async listRecentMedia(
    accessToken: string,
    limit: number,
    options: MediaListOptions = {},
  ): Promise<PlatformResult<MediaItem[]>> {
    const items: MediaItem[] = [];
    let cursor: number | null = null;
    let requestId: string | null = null;
    for (let page = 0; items.length < limit && page < limit + 10; page++) {
      await options.beforePage?.(page);
      const reply = await this.fetchVideoPage(accessToken, VIDEO_PAGE_SIZE, cursor);
      requestId = reply.requestId ?? requestId;
      const { videos, has_more, cursor: nextCursor } = reply.value.data;
      items.push(...videos.map(toMediaItem));
      // A cursor that does not move would ask for the same page forever.
      if (!has_more || nextCursor == null || nextCursor === cursor) break;
      cursor = nextCursor;
    }
    return { value: items.slice(0, limit), usage: null, requestId };
  }

  private fetchVideoPage(accessToken: string, maxCount: number, cursor: number | null) {
    const body = cursor === null ? { max_count: maxCount } : { max_count: maxCount, cursor };
    return callTikTokApi(
      this.transport,
      this.now,
      {
        endpoint: 'POST /v2/video/list/',
        url: `${this.settings.apiUrl}/v2/video/list/?fields=${VIDEO_FIELDS}`,
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        secrets: [accessToken],
      },
      videoListSchema,
    );
  }

  /** Both grants of POST /v2/oauth/token/: form-encoded, never JSON (docs/platforms.md#tiktok-code-exchange). */
  private async tokenRequest(
    grant: Record<string, string>,
    secrets: string[],
  ): Promise<PlatformResult<TokenSet>> {
    const body = new URLSearchParams({
      client_key: this.settings.clientKey,
      client_secret: this.settings.clientSecret,
      ...grant,
    });
    const reply = await callTikTokOauth(this.transport, this.now, {
      endpoint: 'POST /v2/oauth/token/',
      url: `${this.settings.apiUrl}/v2/oauth/token/`,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
      secrets: [...secrets, this.settings.clientSecret],
    });
    return { ...reply, value: toTokenSet(reply.value, this.now()) };
  }
}

/** Lifetimes differ between apps and doc versions (24 h / 365 d or 2 h / 180 d): always from the answer. */
function toTokenSet(answer: TikTokTokenResponse, obtainedAt: Date): TokenSet {
  return {
    externalId: answer.open_id,
    accessToken: answer.access_token,
    accessExpiresAt: new Date(obtainedAt.getTime() + answer.expires_in * 1000),
    refreshToken: answer.refresh_token,
    refreshExpiresAt: new Date(obtainedAt.getTime() + answer.refresh_expires_in * 1000),
    obtainedAt,
    scopes: answer.scope
      .split(',')
      .map((scope) => scope.trim())
      .filter(Boolean),
  };
}

function toMediaItem(video: TikTokVideo): MediaItem {
  return {
    platformId: video.id,
    type: 'VIDEO',
    caption: video.video_description || video.title || null,
    permalink: video.share_url ?? null,
    mediaUrl: video.embed_link ?? null,
    publishedAt: new Date(video.create_time * 1000),
    likes: video.like_count ?? 0,
    comments: video.comment_count ?? 0,
    shares: video.share_count ?? null,
    views: video.view_count ?? null,
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
