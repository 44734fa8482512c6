import { createSecretKey, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { UserRole } from '../db/entities';

/** Different audiences keep an OAuth state from ever being accepted as an access token, and the reverse. */
const ACCESS_AUDIENCE = 'socialsync:api';
const STATE_AUDIENCE = 'socialsync:oauth-state';
const ISSUER = 'socialsync';
/** An OAuth round trip (consent screen included) must finish within 10 minutes (docs/api.md). */
export const OAUTH_STATE_TTL_SECONDS = 600;

export interface AccessClaims {
  userId: string;
  role: UserRole;
}

export interface OAuthStateClaims {
  userId: string;
  platform: string;
  /** Drawn for each state: what makes it single use (src/auth/oauth-state-uses.ts). */
  nonce: string;
  expiresAt: Date;
}

export interface TokenService {
  issueAccessToken(claims: AccessClaims): { token: string; expiresIn: number };
  /** Throws when the token is missing, malformed, expired or signed with another key. */
  verifyAccessToken(token: string): AccessClaims;
  signOAuthState(claims: Pick<OAuthStateClaims, 'userId' | 'platform'>): string;
  /** Throws when the state is malformed, expired, signed with another key or not a state at all. */
  verifyOAuthState(state: string): OAuthStateClaims;
}

export function createTokenService({
  secret,
  ttlSeconds,
}: {
  secret: string;
  ttlSeconds: number;
}): TokenService {
  // A KeyObject, made once: given a string, jsonwebtoken first tries to read it as a PEM public key on every
  // verify (a thrown and caught error each time), which cost more CPU than the rest of GET /accounts' auth.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const verify = (token: string, audience: string) =>
    jwt.verify(token, key, { algorithms: ['HS256'], audience, issuer: ISSUER }) as jwt.JwtPayload;

  return {
    issueAccessToken: ({ userId, role }) => ({
      token: jwt.sign({ role }, key, {
        algorithm: 'HS256',
        subject: userId,
        audience: ACCESS_AUDIENCE,
        issuer: ISSUER,
        expiresIn: ttlSeconds,
      }),
      expiresIn: ttlSeconds,
    }),
    verifyAccessToken: (token) => {
      const payload = verify(token, ACCESS_AUDIENCE);
      if (typeof payload.sub !== 'string' || typeof payload.role !== 'string')
        throw new Error('malformed token');
      return { userId: payload.sub, role: payload.role as UserRole };
    },
    signOAuthState: ({ userId, platform }) =>
      jwt.sign({ platform, nonce: randomUUID() }, key, {
        algorithm: 'HS256',
        subject: userId,
        audience: STATE_AUDIENCE,
        issuer: ISSUER,
        expiresIn: OAUTH_STATE_TTL_SECONDS,
      }),
    verifyOAuthState: (state) => {
      const payload = verify(state, STATE_AUDIENCE);
      const { sub, platform, nonce, exp } = payload;
      if (typeof sub !== 'string' || typeof platform !== 'string' || typeof nonce !== 'string' || !exp)
        throw new Error('malformed state');
      return { userId: sub, platform, nonce, expiresAt: new Date(exp * 1000) };
    },
  };
}
