import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { claimOAuthState } from '../../auth/oauth-state-uses';
import type { OAuthStateClaims, TokenService } from '../../auth/tokens';
import type { TokenCipher } from '../../crypto/token-cipher';
import { SocialAccount, User } from '../../db/entities';
import type { Platform } from '../../platforms/types';
import { AppError } from '../../errors';
import { isPlatformError, type PlatformClient, type PlatformError, type TokenSet } from '../../platforms';
import { appendEvent } from '../../webhooks/outbox';
import type { AuthenticatedUser } from '../context';

export interface AccountsServiceDeps {
  platforms: Record<Platform, PlatformClient>;
  cipher: TokenCipher;
  tokens: TokenService;
}

/** Connecting, reading and disconnecting the caller's own accounts. Another user's account is a 404. */
export function createAccountsService(deps: AccountsServiceDeps) {
  function authorizeUrl(user: AuthenticatedUser, platform: Platform): { url: string; state: string } {
    const state = deps.tokens.signOAuthState({ userId: user.id, platform });
    return { url: deps.platforms[platform].authorizeUrl(state), state };
  }

  /**
   * Exchanges the code, reads the profile for the account's id and name, stores the tokens encrypted.
   * Reconnecting one's own account replaces its tokens and makes it active again; an account held by
   * another user is a 409. The state is used up before the platform is called, whatever the outcome: a
   * replay (or two tabs racing with one redirect) cannot exchange twice, and a failed attempt starts again
   * from authorize-url, as the code is single use on the platforms too.
   */
  async function connect(
    em: EntityManager,
    user: AuthenticatedUser,
    platform: Platform,
    input: { code: string; state: string },
  ) {
    const claims = assertStateMatches(deps.tokens, input.state, user, platform);
    if (!(await claimOAuthState(em, claims))) {
      throw new AppError(
        'STATE_ALREADY_USED',
        'This state was already used: start again from authorize-url.',
      );
    }
    const client = deps.platforms[platform];
    const tokens = await callPlatform(() => client.exchangeCode(input.code), 'exchange');
    const profile = await callPlatform(() => client.getProfile(tokens.value.accessToken), 'profile');
    const externalId = profile.value.externalId || tokens.value.externalId;
    const existing = await em.findOne(SocialAccount, { platform, externalId }, { populate: ['owner'] });
    if (existing && existing.owner.id !== user.id) {
      throw new AppError('ACCOUNT_ALREADY_CONNECTED', 'This account is already connected to another user.');
    }
    const account =
      existing ?? em.create(SocialAccount, { owner: em.getReference(User, user.id), platform, externalId });
    em.assign(account, {
      ...encryptedTokenFields(deps.cipher, tokens.value),
      username: profile.value.username,
      displayName: profile.value.displayName,
      followers: profile.value.followers,
      following: profile.value.following,
      mediaCount: profile.value.mediaCount,
      status: 'active',
      lastErrorCode: null,
      consecutiveFailures: 0,
      incidentOpenedAt: null,
      expiryWarnedAt: null,
    });
    try {
      await em.flush();
    } catch (error) {
      // Two users connecting the same account at the same moment: the unique (platform, externalId) decides.
      if (error instanceof UniqueConstraintViolationException) {
        throw new AppError('ACCOUNT_ALREADY_CONNECTED', 'This account is already connected to another user.');
      }
      throw error;
    }
    return { account, created: !existing };
  }

  /**
   * Who a browser returning from the platform is: no token comes with a redirect, so the signed state names
   * the user. Only a state for this platform, of a user who still exists and is verified, names anyone.
   */
  async function stateOwner(
    em: EntityManager,
    platform: Platform,
    state: string | undefined,
  ): Promise<AuthenticatedUser> {
    const claims = verifyState(deps.tokens, state ?? '');
    if (claims.platform !== platform) {
      throw new AppError('INVALID_STATE', 'The state was issued for another platform.');
    }
    const owner = await em.findOne(User, { id: claims.userId, verified: true });
    if (!owner) throw new AppError('INVALID_STATE', 'The state was issued to a user that cannot sign in.');
    return { id: owner.id, email: owner.email, role: owner.role };
  }

  async function findOwn(em: EntityManager, user: AuthenticatedUser, id: string): Promise<SocialAccount> {
    const account = await em.findOne(SocialAccount, { id, owner: user.id });
    if (!account) throw new AppError('NOT_FOUND', 'No such account.');
    return account;
  }

  /**
   * Tokens are erased and the status becomes `disconnected`; posts and history are kept. The first disconnect
   * appends `account.disconnected` (src/webhooks/events.ts) in the same transaction, under the account's row
   * lock (the outbox's order per account); disconnecting again changes nothing and sends nothing.
   */
  async function disconnect(em: EntityManager, user: AuthenticatedUser, id: string): Promise<SocialAccount> {
    return em.transactional(async (tx) => {
      const account = await tx.findOne(
        SocialAccount,
        { id, owner: user.id },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (!account) throw new AppError('NOT_FOUND', 'No such account.');
      const wasConnected = account.status !== 'disconnected';
      tx.assign(account, {
        accessTokenEnc: null,
        refreshTokenEnc: null,
        accessExpiresAt: null,
        refreshExpiresAt: null,
        status: 'disconnected',
      });
      await tx.flush();
      if (wasConnected) {
        await appendEvent(tx.getTransactionContext<Knex.Transaction>()!, account.id, {
          kind: 'account.disconnected',
          data: {
            accountId: account.id,
            ownerId: user.id,
            platform: account.platform,
            disconnectedAt: account.updatedAt.toISOString(),
          },
        });
      }
      return account;
    });
  }

  return { authorizeUrl, connect, stateOwner, findOwn, disconnect };
}

export type AccountsService = ReturnType<typeof createAccountsService>;

function verifyState(tokens: TokenService, state: string): OAuthStateClaims {
  try {
    return tokens.verifyOAuthState(state);
  } catch {
    throw new AppError('INVALID_STATE', 'The state is invalid or expired: start again from authorize-url.');
  }
}

function assertStateMatches(
  tokens: TokenService,
  state: string,
  user: AuthenticatedUser,
  platform: Platform,
): OAuthStateClaims {
  const claims = verifyState(tokens, state);
  if (claims.userId !== user.id || claims.platform !== platform) {
    throw new AppError('INVALID_STATE', 'The state was issued for another user or platform.');
  }
  return claims;
}

function encryptedTokenFields(cipher: TokenCipher, tokens: TokenSet) {
  return {
    accessTokenEnc: cipher.encrypt(tokens.accessToken),
    accessExpiresAt: tokens.accessExpiresAt,
    refreshTokenEnc: tokens.refreshToken ? cipher.encrypt(tokens.refreshToken) : null,
    refreshExpiresAt: tokens.refreshExpiresAt,
    tokenObtainedAt: tokens.obtainedAt,
    scopes: tokens.scopes.join(','),
  };
}

/** A refused code is the client's problem (400); an unreachable or throttling platform is ours (502). */
async function callPlatform<T>(call: () => Promise<T>, step: 'exchange' | 'profile'): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!isPlatformError(error)) throw error;
    throw toAppError(error, step);
  }
}

function toAppError(error: PlatformError, step: 'exchange' | 'profile'): AppError {
  const clientSide =
    error.kind === 'invalid_request' || error.kind === 'auth_revoked' || error.kind === 'permission_missing';
  if (clientSide) {
    const message =
      step === 'exchange'
        ? 'The platform refused the authorization code.'
        : 'The granted permissions do not allow reading the profile.';
    return new AppError('INVALID_OAUTH_CODE', message, { platformCode: error.code });
  }
  return new AppError('PLATFORM_ERROR', `${error.platform} did not answer as expected; try again later.`, {
    platformCode: error.code,
  });
}
