import jwt from 'jsonwebtoken';
import { generateOtp, hashOtp, otpMatches } from '../../src/auth/otp';
import { createTokenService } from '../../src/auth/tokens';

const secret = 'unit-test-secret-that-is-long-enough-000';

describe('access tokens and OAuth states', () => {
  const tokens = createTokenService({ secret, ttlSeconds: 60 });

  it('round-trips user id and role in an HS256 JWT with the configured expiry', () => {
    const { token, expiresIn } = tokens.issueAccessToken({ userId: 'u-1', role: 'salon' });
    expect(expiresIn).toBe(60);
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
    expect(header.alg).toBe('HS256');
    const payload = jwt.decode(token) as jwt.JwtPayload;
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(tokens.verifyAccessToken(token)).toEqual({ userId: 'u-1', role: 'salon' });
  });

  it('refuses another key, an expired token, alg=none, and a state used as an access token (and the reverse)', () => {
    const other = createTokenService({ secret: `${secret}-other`, ttlSeconds: 60 });
    expect(() =>
      tokens.verifyAccessToken(other.issueAccessToken({ userId: 'u', role: 'admin' }).token),
    ).toThrow(/invalid signature/);
    const expired = jwt.sign({ role: 'admin' }, secret, {
      subject: 'u',
      audience: 'socialsync:api',
      issuer: 'socialsync',
      expiresIn: -10,
    });
    expect(() => tokens.verifyAccessToken(expired)).toThrow(/expired/);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u","role":"admin"}').toString('base64url')}.`;
    expect(() => tokens.verifyAccessToken(unsigned)).toThrow(/signature is required/);
    const state = tokens.signOAuthState({ userId: 'u', platform: 'tiktok' });
    expect(() => tokens.verifyAccessToken(state)).toThrow(/audience/);
    expect(() =>
      tokens.verifyOAuthState(tokens.issueAccessToken({ userId: 'u', role: 'influencer' }).token),
    ).toThrow(/audience/);
    const claims = tokens.verifyOAuthState(state);
    expect(claims).toEqual({
      userId: 'u',
      platform: 'tiktok',
      nonce: expect.stringMatching(/^[0-9a-f-]{36}$/),
      expiresAt: expect.any(Date),
    });
    // 10 minutes, to the second the JWT can express.
    expect(claims.expiresAt.getTime() - Date.now()).toBeGreaterThan(598_000);
    expect(claims.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(600_000);
    // Each state is its own: that is what makes single use possible.
    expect(
      tokens.verifyOAuthState(tokens.signOAuthState({ userId: 'u', platform: 'tiktok' })).nonce,
    ).not.toBe(claims.nonce);
  });
});

describe('one-time codes', () => {
  it('are 6 digits, zero-padded, and vary', () => {
    const codes = Array.from({ length: 200 }, generateOtp);
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(190);
  });

  it('are stored as a keyed hash bound to the user and matched in constant time', () => {
    const stored = hashOtp(secret, 'user-1', '012345');
    expect(stored).not.toContain('012345');
    expect(otpMatches(secret, 'user-1', '012345', stored)).toBe(true);
    expect(otpMatches(secret, 'user-1', '012346', stored)).toBe(false);
    expect(otpMatches(secret, 'user-2', '012345', stored)).toBe(false);
    expect(otpMatches(`${secret}x`, 'user-1', '012345', stored)).toBe(false);
    expect(otpMatches(secret, 'user-1', '012345', 'abcd')).toBe(false);
  });
});
