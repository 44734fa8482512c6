import 'reflect-metadata';
import { createTokenCipher } from './crypto/token-cipher';
import { openOrm } from './db/orm';
import { reencryptStoredTokens } from './db/token-reencryption';
import { bootOrExit, exitOnStartupFailure } from './process/boot';

/**
 * `npm run tokens:reencrypt`: after moving the old key to ENCRYPTION_PREVIOUS_KEYS and setting a new
 * ENCRYPTION_KEY, rewrites every stored token under the new key so the old one can be dropped.
 */
async function main(): Promise<void> {
  const { config, logger } = bootOrExit('socialsync-reencrypt');
  try {
    const orm = await openOrm({ databaseUrl: config.databaseUrl, poolMax: 2 });
    try {
      const report = await reencryptStoredTokens(orm, createTokenCipher(config.encryption));
      logger.info(report, 'tokens re-encrypted under the current key');
    } finally {
      await orm.close();
    }
  } catch (error) {
    exitOnStartupFailure(logger, error);
  }
}

void main();
