import { randomUUID } from 'node:crypto';
import type { Knex } from '@mikro-orm/postgresql';
import type { TokenCipher } from '../../crypto/token-cipher';
import type { Platform } from '../../platforms/types';
import type { Simulator } from '../simulator';
import { storeConnectedAccounts } from '../simulator/control/stored-accounts';

const INSERT_BATCH = 500;

/**
 * Seeds the simulator's deterministic accounts (their post counts vary: about a third have under 20, so a
 * TikTok sync needs one video/list call or two) and connects them in the database with issued tokens, in
 * batches: 2,000 accounts take a second or two.
 */
export async function seedBenchAccounts(
  knex: Knex,
  cipher: TokenCipher,
  simulator: Simulator,
  counts: Record<Platform, number>,
): Promise<void> {
  simulator.control.seedAccounts(Math.max(counts.instagram, counts.tiktok));
  const [owner] = await knex('users')
    .insert({
      email: `bench-${randomUUID()}@socialsync.test`,
      password_hash: 'not-a-real-hash',
      role: 'influencer',
      verified: true,
    })
    .returning('id');
  for (const platform of ['instagram', 'tiktok'] as const) {
    for (let offset = 0; offset < counts[platform]; offset += INSERT_BATCH) {
      const limit = Math.min(INSERT_BATCH, counts[platform] - offset);
      const tokens = simulator.control.issueTokensForAccounts(platform, { offset, limit });
      await storeConnectedAccounts(knex, cipher, owner.id, tokens, 'bench');
    }
  }
}
