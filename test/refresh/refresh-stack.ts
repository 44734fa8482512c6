import type { TokenCipher } from '../../src/crypto/token-cipher';
import type { SimulatorOptions } from '../../src/devtools/simulator';
import type { TestDatabase } from '../helpers/database';
import { startWorkerStack, type WorkerStack } from '../helpers/worker-stack';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/**
 * The worker's real activities over PostgreSQL (a private test database), the in-process simulator, the
 * platform clients and a local webhook receiver. Only Temporal is left for the test to add.
 */
export interface RefreshStack extends WorkerStack {
  webhook: WebhookReceiver;
}

export async function startRefreshStack(
  db: TestDatabase,
  options: { simulator?: SimulatorOptions; env?: Record<string, string> } = {},
): Promise<RefreshStack> {
  const webhook = await startWebhookReceiver();
  const stack = await startWorkerStack({
    db,
    simulator: options.simulator,
    env: { NOTIFY_WEBHOOK_URL: webhook.url, NOTIFY_WEBHOOK_SECRET: WEBHOOK_SECRET, ...options.env },
  });
  return {
    ...stack,
    webhook,
    close: async () => {
      await Promise.all([stack.close(), webhook.close()]);
    },
  };
}

/** Decrypted tokens as stored now (the test reads what the activities wrote). */
export async function storedTokens(
  db: TestDatabase,
  cipher: TokenCipher,
  accountId: string,
): Promise<{ accessToken: string; refreshToken: string | null }> {
  const [row] = await db.orm.em
    .fork()
    .execute<Array<{ access_token_enc: string; refresh_token_enc: string | null }>>(
      'select access_token_enc, refresh_token_enc from social_accounts where id = ?',
      [accountId],
    );
  return {
    accessToken: cipher.decrypt(row.access_token_enc),
    refreshToken: row.refresh_token_enc ? cipher.decrypt(row.refresh_token_enc) : null,
  };
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
