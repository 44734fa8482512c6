import type { EntityManager } from '@mikro-orm/postgresql';
import { User, type UserRole } from '../db/entities';
import { AppError } from '../errors';
import type { Mailer } from './mailer';
import { generateOtp, hashOtp, OTP_MAX_ATTEMPTS, OTP_TTL_MS, otpMatches } from './otp';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './passwords';
import type { TokenService } from './tokens';

export type SignupRole = Exclude<UserRole, 'admin'>;

export interface Credentials {
  email: string;
  password: string;
}

export interface SignupInput extends Credentials {
  name: string;
}

export interface AuthServiceDeps {
  tokens: TokenService;
  mailer: Mailer;
  /** Keys the OTP hashes (the JWT secret: already a required, long secret). */
  otpSecret: string;
  now?: () => Date;
}

export interface AuthResult {
  token: string;
  expiresIn: number;
  user: User;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Sign-up, one-time code verification and login over one request's EntityManager. */
export function createAuthService(deps: AuthServiceDeps) {
  const now = deps.now ?? (() => new Date());

  /**
   * A verified email is taken (409). An unverified one may sign up again: that replaces the pending
   * password and sends a fresh code, the only way to get a new code after 5 wrong tries or expiry.
   */
  async function signup(em: EntityManager, role: SignupRole, input: SignupInput): Promise<User> {
    const email = normalizeEmail(input.email);
    const existing = await em.findOne(User, { email });
    if (existing?.verified) throw new AppError('EMAIL_TAKEN', 'An account with this email already exists.');
    const user = existing ?? em.create(User, { email, role, passwordHash: '', verified: false });
    const otp = generateOtp();
    em.assign(user, {
      role,
      name: input.name,
      passwordHash: await hashPassword(input.password),
      otpHash: hashOtp(deps.otpSecret, user.id, otp),
      otpExpiresAt: new Date(now().getTime() + OTP_TTL_MS),
      otpAttempts: 0,
    });
    await em.flush();
    await deps.mailer.send({
      to: email,
      subject: 'Your socialsync verification code',
      text: `Your socialsync verification code is ${otp}. It expires in 10 minutes.`,
    });
    return user;
  }

  async function verifyOtp(em: EntityManager, input: { email: string; otp: string }): Promise<AuthResult> {
    const user = await em.findOne(User, { email: normalizeEmail(input.email) });
    if (!user || user.verified || !user.otpHash || !user.otpExpiresAt) {
      throw new AppError('INVALID_OTP', 'The code is not valid.');
    }
    if (user.otpExpiresAt.getTime() <= now().getTime()) {
      throw new AppError('OTP_EXPIRED', 'The code has expired: sign up again to receive a new one.');
    }
    // Spend a try atomically before comparing, so parallel guesses cannot exceed 5 tries.
    const attemptsLeft = await spendOtpAttempt(em, user.id);
    if (attemptsLeft === null) {
      throw new AppError('TOO_MANY_ATTEMPTS', 'Too many wrong codes: sign up again to receive a new one.');
    }
    await em.refresh(user); // the try was counted in SQL: reload so the flush below sees the real state
    if (!user.otpHash || !otpMatches(deps.otpSecret, user.id, input.otp, user.otpHash)) {
      throw new AppError('INVALID_OTP', 'The code is not valid.', { attemptsLeft });
    }
    em.assign(user, { verified: true, otpHash: null, otpExpiresAt: null, otpAttempts: 0 });
    await em.flush();
    return { ...deps.tokens.issueAccessToken({ userId: user.id, role: user.role }), user };
  }

  /** The same answer, after the same work, for an unknown email and a wrong password. */
  async function login(em: EntityManager, input: Credentials): Promise<AuthResult> {
    const user = await em.findOne(User, { email: normalizeEmail(input.email) });
    const passwordOk = await verifyPassword(input.password, user?.passwordHash || DUMMY_PASSWORD_HASH);
    if (!user || !passwordOk) throw new AppError('INVALID_CREDENTIALS', 'Invalid email or password.');
    if (!user.verified)
      throw new AppError('EMAIL_NOT_VERIFIED', 'Verify your email with the code we sent first.');
    return { ...deps.tokens.issueAccessToken({ userId: user.id, role: user.role }), user };
  }

  return { signup, verifyOtp, login };
}

export type AuthService = ReturnType<typeof createAuthService>;

/** Returns the tries left after this one, or null when none were left. */
async function spendOtpAttempt(em: EntityManager, userId: string): Promise<number | null> {
  const rows = await em
    .getConnection()
    .execute<{ otp_attempts: number }[]>(
      'update "users" set "otp_attempts" = "otp_attempts" + 1 where "id" = ? and "otp_attempts" < ? returning "otp_attempts"',
      [userId, OTP_MAX_ATTEMPTS],
    );
  return rows.length ? OTP_MAX_ATTEMPTS - rows[0].otp_attempts : null;
}

/**
 * Creates an admin, or promotes an existing user to admin with the given password (`npm run admin --
 * create-admin`). Never reachable through sign-up.
 */
export async function upsertAdmin(
  em: EntityManager,
  input: SignupInput,
): Promise<{ user: User; created: boolean }> {
  const email = normalizeEmail(input.email);
  const existing = await em.findOne(User, { email });
  const user = existing ?? em.create(User, { email, role: 'admin', passwordHash: '', verified: true });
  em.assign(user, {
    role: 'admin',
    verified: true,
    name: input.name || user.name || 'Administrator',
    passwordHash: await hashPassword(input.password),
    otpHash: null,
    otpExpiresAt: null,
    otpAttempts: 0,
  });
  await em.flush();
  return { user, created: !existing };
}
