import { createHash, timingSafeEqual } from 'node:crypto';
import type { Next } from 'koa';
import { LRUCache } from 'lru-cache';
import type { TokenService } from '../../auth/tokens';
import { User } from '../../db/entities';
import { AppError } from '../../errors';
import type { AppContext, AuthenticatedUser } from '../context';

export type AuthRequirement = 'none' | 'user' | 'admin' | 'user-or-cron';

export interface AuthDeps {
  tokens: TokenService;
  cronSecret: string;
}

/**
 * How long a verified user, once read, is trusted without reading the row again: every authenticated request
 * used to wait on that lookup (one round trip per request, about a third of GET /accounts' time). A user
 * deleted or demoted meanwhile keeps access for at most this long, well inside a token's own 1-hour life.
 */
const USER_CACHE_TTL_MS = 10_000;
const USER_CACHE_MAX = 10_000;

/**
 * - user: a valid Bearer JWT of an existing, verified user.
 * - admin: a Bearer JWT of an admin, or the X-Cron-Secret (compared in constant time).
 * - user-or-cron: either (cron callers are then not keyed to a user: the social limiter skips them).
 */
export function createAuthMiddleware(deps: AuthDeps) {
  const cronSecretDigest = digest(deps.cronSecret);
  const verifiedUsers = new LRUCache<string, AuthenticatedUser>({
    max: USER_CACHE_MAX,
    ttl: USER_CACHE_TTL_MS,
  });

  const cronSecretIsValid = (presented: string): boolean =>
    timingSafeEqual(digest(presented), cronSecretDigest);

  async function authenticateUser(ctx: AppContext): Promise<void> {
    const header = ctx.get('Authorization');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AppError('UNAUTHENTICATED', 'Send `Authorization: Bearer <token>`.');
    let claims;
    try {
      claims = deps.tokens.verifyAccessToken(match[1]);
    } catch {
      throw new AppError('UNAUTHENTICATED', 'The token is invalid or has expired.');
    }
    // A token with another role than the one remembered (a user just promoted, logging in again) reads anew.
    const known = verifiedUsers.get(claims.userId);
    ctx.state.user = known?.role === claims.role ? known : await readVerifiedUser(ctx, claims.userId);
  }

  async function readVerifiedUser(ctx: AppContext, id: string): Promise<AuthenticatedUser> {
    const user = await ctx.state.em.findOne(User, { id });
    if (!user || !user.verified)
      throw new AppError('UNAUTHENTICATED', 'The token is invalid or has expired.');
    const authenticated = { id: user.id, email: user.email, role: user.role };
    verifiedUsers.set(id, authenticated);
    return authenticated;
  }

  /** Returns true when a cron secret was presented and is right; throws when it was presented and is wrong. */
  function authenticateCron(ctx: AppContext): boolean {
    const presented = ctx.get('X-Cron-Secret');
    if (!presented) return false;
    if (!cronSecretIsValid(presented)) throw new AppError('UNAUTHENTICATED', 'The cron secret is not valid.');
    ctx.state.cron = true;
    return true;
  }

  return function requireAuth(requirement: AuthRequirement) {
    return async function authMiddleware(ctx: AppContext, next: Next): Promise<void> {
      if (requirement === 'user') await authenticateUser(ctx);
      if (requirement === 'user-or-cron' && !authenticateCron(ctx)) await authenticateUser(ctx);
      if (requirement === 'admin' && !authenticateCron(ctx)) {
        await authenticateUser(ctx);
        if (ctx.state.user?.role !== 'admin') throw new AppError('FORBIDDEN', 'Administrators only.');
      }
      await next();
    };
  };
}

/** Hashing first gives both sides the same length, which timingSafeEqual requires. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
