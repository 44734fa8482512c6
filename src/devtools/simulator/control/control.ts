import type { Platform } from '../../../platforms/types';
import type { AccountInit } from '../accounts/seed';
import type { PostChanges, PostInit } from '../accounts/store';
import { accountKey, type EndpointId } from '../core/endpoints';
import type { FailureKind, RateLimitShape } from '../core/faults';
import type {
  FaultSettings,
  SimulatorSettings,
  InstagramApp,
  InstagramBehaviour,
  InstagramQuota,
  TikTokApp,
  TikTokBehaviour,
  TikTokQuota,
} from '../core/options';
import type { AccountEndpointStats, EndpointStats, RequestLogSnapshot } from '../core/request-log';
import type { SimState } from '../server/types';
import * as auth from './auth-control';
import { accountView, postView, type AccountView, type IssuedTokens, type PostView } from './views';

export interface BehaviourChanges {
  instagram?: Partial<InstagramBehaviour>;
  tiktok?: Partial<TikTokBehaviour>;
  apps?: { instagram?: Partial<InstagramApp>; tiktok?: Partial<TikTokApp> };
}

export interface FailNextOptions extends RateLimitShape {
  failure?: FailureKind;
  /** Only calls to these endpoints fail (and count); default: any endpoint of the account. */
  endpoints?: EndpointId[];
}

export interface ThrottleOptions extends RateLimitShape {
  /** How long every call to the endpoints is refused, from now on the simulator clock. */
  forMs: number;
}

export type AccountChanges = {
  followers?: number;
  following?: number;
  followersPerDay?: number;
  username?: string;
  displayName?: string;
};

/**
 * The simulator's control surface for tests (in process) and, through /_control, for other processes.
 * Dates in, dates out; every account is addressed by platform + external id.
 */
export class SimulatorControl {
  constructor(
    private readonly state: SimState,
    private readonly resetAll: () => void,
  ) {}

  // --- clock ---------------------------------------------------------------------------------
  now(): Date {
    return this.state.clock.now();
  }
  advanceClock(ms: number): Date {
    return this.state.clock.advance(ms);
  }
  /** Stops the clock until reset (it then moves only with advanceClock/setClock): exact quota windows. */
  freezeClock(): Date {
    return this.state.clock.freeze();
  }
  /** Moving back in time also empties the quota windows: their timestamps would otherwise lie in the future. */
  setClock(date: Date): Date {
    if (date.getTime() < this.state.clock.nowMs()) this.state.quotas.clear();
    return this.state.clock.set(date);
  }

  // --- behaviour, quotas, faults -------------------------------------------------------------
  /** The registered app credentials the simulated platforms expect. */
  apps(): { instagram: InstagramApp; tiktok: TikTokApp } {
    return structuredClone(this.state.settings.apps);
  }
  settings(): SimulatorSettings {
    return structuredClone(this.state.settings);
  }
  configure(changes: BehaviourChanges): void {
    const { settings } = this.state;
    Object.assign(settings.instagram, changes.instagram);
    Object.assign(settings.tiktok, changes.tiktok);
    Object.assign(settings.apps.instagram, changes.apps?.instagram);
    Object.assign(settings.apps.tiktok, changes.apps?.tiktok);
  }
  setQuotas(changes: { instagram?: Partial<InstagramQuota>; tiktok?: Partial<TikTokQuota> }): void {
    Object.assign(this.state.settings.quotas.instagram, changes.instagram);
    Object.assign(this.state.settings.quotas.tiktok, changes.tiktok);
  }
  /** Forget every request counted so far against the quotas (not the request log). */
  resetQuotaWindows(): void {
    this.state.quotas.clear();
  }
  /** Replaces the random fault settings. */
  setFaults(faults: FaultSettings): void {
    this.state.settings.faults = faults;
  }
  /** No more random faults, and no pending "fail next N calls" rules. */
  clearFaults(): void {
    this.state.settings.faults = {};
    this.state.faults.clearFlaky();
  }
  /** Deterministic flaky account: its next `count` calls (optionally only to `endpoints`) fail with `failure`. */
  failNextCalls(platform: Platform, externalId: string, count: number, options: FailNextOptions = {}): void {
    this.state.accounts.get(platform, externalId);
    this.state.faults.failNext(
      accountKey(platform, externalId),
      count,
      options.failure ?? 'transient',
      options.endpoints,
      { retryAfterSeconds: options.retryAfterSeconds, instagramCode: options.instagramCode },
    );
  }
  /** App-wide throttling: every call to `endpoints` answers 429 (Instagram: code 4 by default) for a while. */
  throttleEndpoints(endpoints: EndpointId[], options: ThrottleOptions): void {
    this.state.faults.throttle(endpoints, this.state.clock.nowMs() + options.forMs, {
      retryAfterSeconds: options.retryAfterSeconds,
      instagramCode: options.instagramCode,
    });
  }

  // --- accounts and posts --------------------------------------------------------------------
  seedAccounts(countPerPlatform: number): void {
    this.state.accounts.seedAccounts(countPerPlatform);
  }
  addAccount(platform: Platform, init: AccountInit = {}): AccountView {
    return this.view(this.state.accounts.add(platform, init));
  }
  getAccount(platform: Platform, externalId: string): AccountView {
    return this.view(this.state.accounts.get(platform, externalId));
  }
  listAccounts(platform: Platform, options: { offset?: number; limit?: number } = {}): AccountView[] {
    return this.state.accounts
      .list(platform, options.offset, options.limit)
      .map((account) => this.view(account));
  }
  accountCount(platform: Platform): number {
    return this.state.accounts.count(platform);
  }
  updateAccount(platform: Platform, externalId: string, changes: AccountChanges): AccountView {
    const account = this.state.accounts.get(platform, externalId);
    if (changes.followers !== undefined) account.fixed.followers = changes.followers;
    if (changes.following !== undefined) account.fixed.following = changes.following;
    if (changes.followersPerDay !== undefined) account.followersPerDay = changes.followersPerDay;
    if (changes.username !== undefined) account.username = changes.username;
    if (changes.displayName !== undefined) account.displayName = changes.displayName;
    return this.view(account);
  }
  listPosts(platform: Platform, externalId: string): PostView[] {
    const nowMs = this.state.clock.nowMs();
    return this.state.accounts
      .posts(this.state.accounts.get(platform, externalId))
      .map((post) => postView(post, nowMs));
  }
  addPost(platform: Platform, externalId: string, init: PostInit = {}): PostView {
    const post = this.state.accounts.addPost(this.state.accounts.get(platform, externalId), init);
    return postView(post, this.state.clock.nowMs());
  }
  updatePost(platform: Platform, externalId: string, postId: string, changes: PostChanges): PostView {
    const post = this.state.accounts.updatePost(
      this.state.accounts.get(platform, externalId),
      postId,
      changes,
    );
    return postView(post, this.state.clock.nowMs());
  }
  deletePost(platform: Platform, externalId: string, postId: string): void {
    this.state.accounts.deletePost(this.state.accounts.get(platform, externalId), postId);
  }

  // --- auth ----------------------------------------------------------------------------------
  issueAuthCode(
    platform: Platform,
    externalId: string,
    options?: auth.AuthCodeOptions,
  ): { code: string; callbackUrl: string } {
    return auth.issueAuthCode(this.state, platform, externalId, options);
  }
  issueTokens(platform: Platform, externalId: string, options?: auth.IssueTokenOptions): IssuedTokens {
    return auth.issueTokens(this.state, platform, externalId, options);
  }
  /** Tokens for many accounts at once (a page of the seeded list, or the given ids). */
  issueTokensForAccounts(
    platform: Platform,
    options: auth.IssueTokenOptions & { externalIds?: string[]; offset?: number; limit?: number } = {},
  ): IssuedTokens[] {
    const ids =
      options.externalIds ??
      this.state.accounts.list(platform, options.offset, options.limit).map((a) => a.externalId);
    return ids.map((id) => this.issueTokens(platform, id, options));
  }
  invalidateTokens(platform: Platform, externalId: string, reason: string): void {
    auth.invalidateTokens(this.state, platform, externalId, reason);
  }
  revokeToken(platform: Platform, token: string, reason?: string): void {
    auth.revokeToken(this.state, platform, token, reason);
  }

  // --- request log ---------------------------------------------------------------------------
  requestLog(options: { accounts?: boolean } = {}): RequestLogSnapshot {
    return this.state.log.snapshot(options);
  }
  endpointStats(endpoint: EndpointId): EndpointStats {
    return this.state.log.endpoint(endpoint);
  }
  accountStats(platform: Platform, externalId: string): Partial<Record<EndpointId, AccountEndpointStats>> {
    return this.state.log.account(accountKey(platform, externalId));
  }
  clearRequestLog(): void {
    this.state.log.clear();
  }

  /** Back to the state right after creation: settings, clock, accounts, tokens, quotas, faults, log. */
  reset(): void {
    this.resetAll();
  }

  private view(account: Parameters<typeof accountView>[0]): AccountView {
    return accountView(account, this.state.accounts, this.state.clock.nowMs());
  }
}
