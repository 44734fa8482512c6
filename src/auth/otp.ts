import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

export const OTP_DIGITS = 6;
/** The sign-up code lives 10 minutes and allows 5 tries (docs/api.md). */
export const OTP_TTL_MS = 10 * 60 * 1000;
export const OTP_MAX_ATTEMPTS = 5;

export function generateOtp(): string {
  return randomInt(0, 10 ** OTP_DIGITS)
    .toString()
    .padStart(OTP_DIGITS, '0');
}

/**
 * Keyed hash: a million possible codes are trivial to brute-force from a plain hash if the table leaks, not
 * from an HMAC whose key stays in the API's configuration. Bound to the user id so a hash is not reusable.
 */
export function hashOtp(secret: string, userId: string, otp: string): string {
  return createHmac('sha256', secret).update(`otp:${userId}:${otp}`).digest('hex');
}

export function otpMatches(secret: string, userId: string, otp: string, storedHash: string): boolean {
  const expected = Buffer.from(hashOtp(secret, userId, otp), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return expected.length === stored.length && timingSafeEqual(expected, stored);
}
