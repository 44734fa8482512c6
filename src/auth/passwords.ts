import bcrypt from 'bcryptjs';

/**
 * bcrypt work factor 10: about 70 ms per hash on this project's 2-core machines (measured with bcryptjs 3),
 * the floor OWASP names for bcrypt. Each extra step doubles it.
 */
export const BCRYPT_COST = 10;

/** bcrypt reads only the first 72 bytes of a password; the sign-up schema refuses longer ones. */
export const MAX_PASSWORD_BYTES = 72;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

/**
 * Compared against when the email is unknown, so an unknown email and a wrong password take the same time
 * and get the same answer (no account enumeration through login).
 */
export const DUMMY_PASSWORD_HASH = bcrypt.hashSync('socialsync-no-such-user', BCRYPT_COST);
