import type { z } from 'zod';
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
import { fetchGraph, graphGet, graphUrl, ownGraphUrl, type InstagramContext } from './context';
import { MEDIA_FIELDS, toMediaItem } from './media';
import {
  isTooYoungRefusal,
  requestLongLivedToken,
  requestRefreshedToken,
  requestShortLivedToken,
  type LongLivedToken,
  type ShortLivedToken,
} from './oauth';
import { identitySchema, mediaPageSchema, profileSchema } from './schemas';

/** Instagram refuses to refresh a long-lived token younger than 24 h (docs/platforms.md#instagram-long-lived-tokens-and-refresh). */
export const MIN_REFRESH_AGE_MS = 24 * 3_600_000;
const PROFILE_FIELDS = 'user_id,username,name,account_type,followers_count,follows_count,media_count';
/** The documented default page size is 25; the maximum is undocumented, clients commonly stay at or under 100. */
const MAX_PAGE_SIZE = 100;
const HOUR_MS = 3_600_000;

type MediaPage = z.output<typeof mediaPageSchema>;

/** Instagram API with Instagram Login: api.instagram.com for the code, graph.instagram.com for the rest. */
export class InstagramClient implements PlatformClient {
  readonly platform = 'instagram' as const;

  constructor(private readonly ctx: InstagramContext) {}

  /** https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/business-login */
  authorizeUrl(state: string): string {
    const { appId, redirectUri, authorizeUrl } = this.ctx.settings;
    const query = new URLSearchParams({
      client_id: appId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'instagram_business_basic',
      state,
    });
    return `${authorizeUrl}?${query}`;
  }

  /**
   * Code -> short-lived token -> long-lived token -> the account id from GET /me, the canonical one (the
   * exchange's user_id is not documented to be the same id, docs/platforms.md#instagram-authorization-and-code-exchange).
   * https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/business-login
   */
  async exchangeCode(code: string): Promise<PlatformResult<TokenSet>> {
    const shortLived = await this.exchangeCodeForShortLivedToken(code);
    const longLived = await this.exchangeForLongLivedToken(shortLived.value.accessToken);
    const obtainedAt = this.ctx.now();
    const identity = await this.fetchIdentity(longLived.value.accessToken);
    const scopes = longLived.value.scopes.length > 0 ? longLived.value.scopes : shortLived.value.scopes;
    return {
      value: toTokenSet(identity.value.user_id, longLived.value, obtainedAt, scopes),
      usage: identity.usage ?? longLived.usage,
      requestId: identity.requestId,
    };
  }

  /** Step 1 alone (strips `#_`, reads user_id losslessly). https://developers.facebook.com/docs/instagram-platform/reference/oauth-access-token */
  exchangeCodeForShortLivedToken(code: string): Promise<PlatformResult<ShortLivedToken>> {
    return requestShortLivedToken(this.ctx, code);
  }

  /** Step 2 alone. https://developers.facebook.com/docs/instagram-platform/reference/access_token */
  exchangeForLongLivedToken(shortLivedToken: string): Promise<PlatformResult<LongLivedToken>> {
    return requestLongLivedToken(this.ctx, shortLivedToken);
  }

  /**
   * A token under 24 h old is reported as `too_young`: checked locally first so no call is made, and also
   * recognised when the platform refuses it anyway.
   * https://developers.facebook.com/docs/instagram-platform/reference/refresh_access_token
   */
  async refreshToken(current: StoredTokens): Promise<PlatformResult<RefreshOutcome>> {
    const now = this.ctx.now();
    const oldEnoughAt = new Date(current.obtainedAt.getTime() + MIN_REFRESH_AGE_MS);
    if (now < oldEnoughAt) return tooYoung(oldEnoughAt, null);
    let reply: PlatformResult<LongLivedToken>;
    try {
      reply = await requestRefreshedToken(this.ctx, current.accessToken);
    } catch (error) {
      if (!isTooYoungRefusal(error)) throw error;
      // Our obtainedAt and the platform disagree; the refusal lifts within 24 h: retry hourly until then.
      return tooYoung(new Date(Math.max(oldEnoughAt.getTime(), now.getTime() + HOUR_MS)), error.requestId);
    }
    const obtainedAt = this.ctx.now();
    const externalId =
      current.externalId ?? (await this.fetchIdentity(reply.value.accessToken)).value.user_id;
    const scopes = reply.value.scopes.length > 0 ? reply.value.scopes : (current.scopes ?? []);
    const tokens = toTokenSet(externalId, reply.value, obtainedAt, scopes);
    return { value: { kind: 'refreshed', tokens }, usage: reply.usage, requestId: reply.requestId };
  }

  /** https://developers.facebook.com/docs/instagram-platform/reference/me */
  async getProfile(accessToken: string): Promise<PlatformResult<Profile>> {
    const reply = await graphGet(this.ctx, '/me', profileSchema, accessToken, { fields: PROFILE_FIELDS });
    const me = reply.value;
    const profile: Profile = {
      externalId: me.user_id,
      username: me.username,
      displayName: me.name || null,
      followers: me.followers_count,
      following: me.follows_count,
      mediaCount: me.media_count,
    };
    return { ...reply, value: profile };
  }

  /**
   * Asks for `limit` items a page (up to 100: the default 25 posts in one call) and follows `paging.next`
   * until it is absent, the only end-of-list signal: pages can be short or even empty. Stops once `limit`
   * items are collected.
   * https://developers.facebook.com/docs/instagram-platform/reference/instagram-media and
   * https://developers.facebook.com/docs/graph-api/results/
   */
  async listRecentMedia(
    accessToken: string,
    limit: number,
    options: MediaListOptions = {},
  ): Promise<PlatformResult<MediaItem[]>> {
    const items: MediaItem[] = [];
    const pageSize = String(Math.min(Math.max(limit, 1), MAX_PAGE_SIZE));
    let url: string | null = graphUrl(this.ctx, '/me/media', accessToken, {
      fields: MEDIA_FIELDS,
      limit: pageSize,
    });
    let last: Omit<PlatformResult<MediaPage>, 'value'> = { usage: null, requestId: null };
    // A platform that keeps sending empty pages with `next` must not keep us here forever.
    for (let page = 0; url && items.length < limit && page < limit + 10; page++) {
      await options.beforePage?.(page);
      const reply: PlatformResult<MediaPage> = await fetchGraph(
        this.ctx,
        'GET /me/media',
        url,
        mediaPageSchema,
        accessToken,
      );
      last = { usage: reply.usage ?? last.usage, requestId: reply.requestId ?? last.requestId };
      items.push(...reply.value.data.map(toMediaItem));
      const next = reply.value.paging?.next;
      url = next ? ownGraphUrl(this.ctx, next, '/me/media', accessToken) : null;
    }
    return { value: items.slice(0, limit), ...last };
  }

  /** GET /me for the canonical account id, after an exchange or a refresh. */
  private fetchIdentity(accessToken: string) {
    return graphGet(this.ctx, '/me', identitySchema, accessToken, { fields: 'user_id,username' });
  }
}

function toTokenSet(externalId: string, token: LongLivedToken, obtainedAt: Date, scopes: string[]): TokenSet {
  return {
    externalId,
    accessToken: token.accessToken,
    // From expires_in, never a hard-coded 60 days: real answers vary (5183944, 5127758...).
    accessExpiresAt: new Date(obtainedAt.getTime() + token.expiresInSeconds * 1000),
    refreshToken: null,
    refreshExpiresAt: null,
    obtainedAt,
    scopes,
  };
}

function tooYoung(retryAfter: Date, requestId: string | null): PlatformResult<RefreshOutcome> {
  return { value: { kind: 'too_young', retryAfter }, usage: null, requestId };
}
