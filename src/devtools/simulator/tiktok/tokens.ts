import { newTikTokSecret } from '../core/secrets';

export interface TikTokAccessToken {
  value: string;
  account: string;
  issuedAtMs: number;
  expiresAtMs: number;
  scopes: string[];
  revoked: boolean;
}

export interface TikTokRefreshToken {
  value: string;
  account: string;
  /** When the consent that started this chain happened: the fixed refresh window counts from it. */
  chainStartedAtMs: number;
  expiresAtMs: number;
  scopes: string[];
  /** Superseded by rotation, or revoked. */
  dead: boolean;
}

export interface TikTokCode {
  value: string;
  account: string;
  redirectUri: string | null;
  scopes: string[];
  expiresAtMs: number;
  codeChallenge: string | null;
  used: boolean;
}

export interface Lifetimes {
  accessSeconds: number;
  refreshSeconds: number;
}

/** TikTok codes, access tokens and refresh tokens, indexed by value and by account. */
export class TikTokTokenStore {
  private access = new Map<string, TikTokAccessToken>();
  private refresh = new Map<string, TikTokRefreshToken>();
  private byAccount = new Map<string, { access: Set<TikTokAccessToken>; refresh: Set<TikTokRefreshToken> }>();
  private codes = new Map<string, TikTokCode>();

  issueCode(init: Omit<TikTokCode, 'value' | 'used'>): TikTokCode {
    const code = { ...init, value: newTikTokSecret(''), used: false };
    this.codes.set(code.value, code);
    return code;
  }

  findCode(value: string): TikTokCode | undefined {
    return this.codes.get(value);
  }

  issueAccess(
    account: string,
    issuedAtMs: number,
    lifetimes: Lifetimes,
    scopes: string[],
  ): TikTokAccessToken {
    const token = {
      value: newTikTokSecret('act.'),
      account,
      issuedAtMs,
      expiresAtMs: issuedAtMs + lifetimes.accessSeconds * 1000,
      scopes,
      revoked: false,
    };
    this.access.set(token.value, token);
    this.owned(account).access.add(token);
    return token;
  }

  /** A brand-new chain (consent) or the next link of one (`previous`, under rotation or sliding window). */
  issueRefresh(
    account: string,
    nowMs: number,
    lifetimes: Lifetimes,
    scopes: string[],
    window: 'fixed' | 'sliding',
    previous?: TikTokRefreshToken,
  ): TikTokRefreshToken {
    const chainStartedAtMs = previous?.chainStartedAtMs ?? nowMs;
    const token = {
      value: newTikTokSecret('rft.'),
      account,
      chainStartedAtMs,
      expiresAtMs: (window === 'fixed' ? chainStartedAtMs : nowMs) + lifetimes.refreshSeconds * 1000,
      scopes,
      dead: false,
    };
    this.refresh.set(token.value, token);
    this.owned(account).refresh.add(token);
    return token;
  }

  findAccess(value: string | null): TikTokAccessToken | undefined {
    return value ? this.access.get(value) : undefined;
  }

  findRefresh(value: string | null): TikTokRefreshToken | undefined {
    return value ? this.refresh.get(value) : undefined;
  }

  /** Revoking kills the account's access tokens and, optionally, its refresh tokens. */
  revokeAccount(account: string, includeRefresh: boolean): void {
    const owned = this.byAccount.get(account);
    owned?.access.forEach((token) => (token.revoked = true));
    if (includeRefresh) owned?.refresh.forEach((token) => (token.dead = true));
  }

  expireAccount(account: string, nowMs: number): void {
    const owned = this.byAccount.get(account);
    owned?.access.forEach((token) => (token.expiresAtMs = Math.min(token.expiresAtMs, nowMs)));
  }

  clear(): void {
    this.access.clear();
    this.refresh.clear();
    this.byAccount.clear();
    this.codes.clear();
  }

  private owned(account: string) {
    let owned = this.byAccount.get(account);
    if (!owned) {
      owned = { access: new Set(), refresh: new Set() };
      this.byAccount.set(account, owned);
    }
    return owned;
  }
}
