import { createTokenCipher } from '../../src/crypto/token-cipher';
import { reencryptStoredTokens } from '../../src/db/token-reencryption';
import { insertAccount, insertUser } from '../helpers/accounts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

const OLD_KEY = '1'.repeat(64);
const NEW_KEY = '2'.repeat(64);

describe('reencryptStoredTokens', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(async () => db.drop());

  it('moves every token written under a previous key to the current key', async () => {
    const oldCipher = createTokenCipher({ key: OLD_KEY });
    const owner = await insertUser(db.orm);
    const expires = new Date(Date.now() + 86_400_000);
    for (let i = 0; i < 7; i++) {
      await insertAccount(db.orm, oldCipher, {
        owner,
        platform: i % 2 ? 'tiktok' : 'instagram',
        accessToken: `access-${i}`,
        refreshToken: i % 2 ? `refresh-${i}` : null,
        accessExpiresAt: expires,
      });
    }
    const rotated = createTokenCipher({ key: NEW_KEY, previousKeys: [OLD_KEY] });

    const report = await reencryptStoredTokens(db.orm, rotated, { batchSize: 3 });

    expect(report).toEqual({ scanned: 7, reencrypted: 7, skippedConcurrent: 0 });
    const rows = await db.orm.em
      .getKnex()('social_accounts')
      .select('access_token_enc', 'refresh_token_enc', 'version');
    const newOnly = createTokenCipher({ key: NEW_KEY });
    const accessTokens = rows.map((row) => newOnly.decrypt(row.access_token_enc)).sort();
    expect(accessTokens).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `access-${i}`).sort());
    for (const row of rows) {
      expect(row.version).toBe(2);
      if (row.refresh_token_enc) expect(newOnly.decrypt(row.refresh_token_enc)).toMatch(/^refresh-/);
    }
    expect(await reencryptStoredTokens(db.orm, rotated)).toEqual({
      scanned: 0,
      reencrypted: 0,
      skippedConcurrent: 0,
    });
  });
});
