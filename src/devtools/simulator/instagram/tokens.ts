import { newSecret } from '../core/secrets';

export interface InstagramToken {
  value: string;
  account: string;
  kind: 'short' | 'long';
  issuedAtMs: number;
  expiresAtMs: number;
  scopes: string[];
  /** Set when the token was killed before its expiry: what Graph answers from then on. */
  invalidated?: { subcode?: number; message: string };
}

export interface InstagramCode {
  value: string;
  account: string;
  redirectUri: string | null;
  scopes: string[];
  expiresAtMs: number;
  used: boolean;
}

/** The reasons a token dies early (docs/platforms.md#instagram-errors), with the subcode and message Graph then answers. */
export const INSTAGRAM_INVALIDATIONS = {
  password_changed: {
    subcode: 460,
    message:
      'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
  },
  app_removed: {
    subcode: 458,
    message: 'Error validating access token: The user has not authorized application.',
  },
  checkpoint: {
    subcode: 459,
    message:
      'Error validating access token: You cannot access the app till you log in to www.facebook.com and follow the instructions given.',
  },
  logged_out: {
    subcode: 467,
    message: 'Error validating access token: The session is invalid because the user logged out.',
  },
  replaced: {
    subcode: undefined,
    message: 'Error validating access token: the token was replaced by a refreshed one.',
  },
} as const;
export type InstagramInvalidation = keyof typeof INSTAGRAM_INVALIDATIONS | 'expired';

/** Instagram codes and tokens, indexed by value and by account (`platform:externalId`). */
export class InstagramTokenStore {
  private tokens = new Map<string, InstagramToken>();
  private byAccount = new Map<string, Set<InstagramToken>>();
  private codes = new Map<string, InstagramCode>();

  issueCode(
    account: string,
    redirectUri: string | null,
    scopes: string[],
    expiresAtMs: number,
  ): InstagramCode {
    const code = { value: newSecret('AQB', 48), account, redirectUri, scopes, expiresAtMs, used: false };
    this.codes.set(code.value, code);
    return code;
  }

  findCode(value: string): InstagramCode | undefined {
    return this.codes.get(value);
  }

  issue(
    account: string,
    kind: 'short' | 'long',
    issuedAtMs: number,
    lifetimeSeconds: number,
    scopes: string[],
  ) {
    const token: InstagramToken = {
      value: newSecret('IGAA', 96),
      account,
      kind,
      issuedAtMs,
      expiresAtMs: issuedAtMs + lifetimeSeconds * 1000,
      scopes,
    };
    this.tokens.set(token.value, token);
    let owned = this.byAccount.get(account);
    if (!owned) {
      owned = new Set();
      this.byAccount.set(account, owned);
    }
    owned.add(token);
    return token;
  }

  find(value: string | null): InstagramToken | undefined {
    return value ? this.tokens.get(value) : undefined;
  }

  /** Kills every token the account holds now; tokens from a later consent work again. */
  invalidateAccount(account: string, reason: InstagramInvalidation, nowMs: number): void {
    for (const token of this.byAccount.get(account) ?? []) this.invalidate(token, reason, nowMs);
  }

  invalidate(token: InstagramToken, reason: InstagramInvalidation, nowMs: number): void {
    if (reason === 'expired') token.expiresAtMs = Math.min(token.expiresAtMs, nowMs);
    else token.invalidated = INSTAGRAM_INVALIDATIONS[reason];
  }

  clear(): void {
    this.tokens.clear();
    this.byAccount.clear();
    this.codes.clear();
  }
}
