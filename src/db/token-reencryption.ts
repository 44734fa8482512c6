import type { MikroORM } from '@mikro-orm/postgresql';
import type { TokenCipher } from '../crypto/token-cipher';

export interface ReencryptionReport {
  scanned: number;
  reencrypted: number;
  /** Rows changed by someone else (e.g. a refresh) between read and write: their new value is current anyway. */
  skippedConcurrent: number;
}

interface TokenRow {
  id: string;
  version: number;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
}

/**
 * Moves every stored token written under a previous key to the current key, in keyset-paged batches. Each
 * row is written only if its optimistic-lock version is unchanged, so a refresh racing with the rotation
 * always wins. Safe to run repeatedly and while the service runs.
 */
export async function reencryptStoredTokens(
  orm: MikroORM,
  cipher: TokenCipher,
  { batchSize = 500 }: { batchSize?: number } = {},
): Promise<ReencryptionReport> {
  const knex = orm.em.getKnex();
  const current = `v1.${cipher.currentKeyId}.%`;
  const report: ReencryptionReport = { scanned: 0, reencrypted: 0, skippedConcurrent: 0 };
  let afterId = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows: TokenRow[] = await knex('social_accounts')
      .select('id', 'version', 'access_token_enc', 'refresh_token_enc')
      .where('id', '>', afterId)
      .andWhere((query) =>
        query.whereNot('access_token_enc', 'like', current).orWhereNot('refresh_token_enc', 'like', current),
      )
      .orderBy('id')
      .limit(batchSize);
    if (rows.length === 0) return report;
    for (const row of rows) {
      report.scanned++;
      const updated = await knex('social_accounts')
        .where({ id: row.id, version: row.version })
        .update({
          access_token_enc: moveForward(cipher, row.access_token_enc),
          refresh_token_enc: moveForward(cipher, row.refresh_token_enc),
          version: row.version + 1,
        });
      if (updated) report.reencrypted++;
      else report.skippedConcurrent++;
    }
    afterId = rows[rows.length - 1].id;
  }
}

function moveForward(cipher: TokenCipher, stored: string | null): string | null {
  return stored && cipher.needsReencryption(stored) ? cipher.reencrypt(stored) : stored;
}
