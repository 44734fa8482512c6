import type { Knex } from '@mikro-orm/postgresql';
import type { TokenCipher } from '../../../crypto/token-cipher';
import type { IssuedTokens } from './views';

/**
 * Stores accounts the simulator issued tokens for as connected social_accounts of one owner, tokens encrypted
 * as an OAuth exchange would leave them: how the benchmarks and the fault suite seed their fleets.
 */
export async function storeConnectedAccounts(
  knex: Knex,
  cipher: TokenCipher,
  ownerId: string,
  tokens: IssuedTokens[],
  usernamePrefix: string,
): Promise<void> {
  await knex('social_accounts').insert(
    tokens.map((token) => ({
      owner_id: ownerId,
      platform: token.platform,
      external_id: token.externalId,
      username: `${usernamePrefix}-${token.externalId}`,
      access_token_enc: cipher.encrypt(token.accessToken),
      access_expires_at: token.accessExpiresAt,
      refresh_token_enc: token.refreshToken ? cipher.encrypt(token.refreshToken) : null,
      refresh_expires_at: token.refreshExpiresAt,
      token_obtained_at: token.obtainedAt,
    })),
  );
}
