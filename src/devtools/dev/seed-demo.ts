import type { EntityManager } from '@mikro-orm/postgresql';
import { hashPassword } from '../../auth/passwords';
import { createTokenCipher, type TokenCipher } from '../../crypto/token-cipher';
import { SocialAccount, User } from '../../db/entities';
import { openOrm } from '../../db/orm';
import type { Platform } from '../../platforms/types';
import type { Simulator } from '../simulator';

export interface DemoLogins {
  demo: { email: string; password: string };
  admin: { email: string; password: string };
  accounts: { platform: Platform; username: string; id: string }[];
  /** Accounts from earlier sessions whose simulator tokens were minted again. */
  reconnected: number;
}

export const DEMO_USER = { email: 'demo@socialsync.local', password: 'demo-password-123' };
export const DEMO_ADMIN_EMAIL = 'admin@socialsync.local';

/**
 * Idempotent demo data for `npm run dev` on the simulator: a verified demo influencer with one connected
 * Instagram and one TikTok account, and an admin. The simulator keeps its state in memory, so every start
 * mints fresh tokens for every stored account it knows (earlier sessions' connections keep working).
 */
export async function seedDemoData(input: {
  databaseUrl: string;
  encryptionKey: string;
  adminPassword: string;
  simulator: Simulator;
}): Promise<DemoLogins> {
  const orm = await openOrm({ databaseUrl: input.databaseUrl, poolMax: 2 });
  const cipher = createTokenCipher({ key: input.encryptionKey });
  try {
    const em = orm.em.fork();
    const demo = await upsertUser(em, DEMO_USER.email, DEMO_USER.password, 'influencer', 'Demo Influencer');
    await upsertUser(em, DEMO_ADMIN_EMAIL, input.adminPassword, 'admin', 'Demo Admin');
    const accounts: DemoLogins['accounts'] = [];
    for (const platform of ['instagram', 'tiktok'] as const) {
      const [first] = input.simulator.control.listAccounts(platform, { limit: 1 });
      let account = await em.findOne(SocialAccount, { platform, externalId: first.externalId });
      if (!account) {
        account = em.create(SocialAccount, {
          owner: demo,
          platform,
          externalId: first.externalId,
          username: first.username,
        });
        account.displayName = first.displayName;
      }
      accounts.push({ platform, username: first.username, id: account.id });
    }
    await em.flush();
    const reconnected = await remintSimulatorTokens(em, cipher, input.simulator);
    return {
      demo: DEMO_USER,
      admin: { email: DEMO_ADMIN_EMAIL, password: input.adminPassword },
      accounts,
      reconnected,
    };
  } finally {
    await orm.close();
  }
}

async function upsertUser(
  em: EntityManager,
  email: string,
  password: string,
  role: User['role'],
  name: string,
): Promise<User> {
  const existing = await em.findOne(User, { email });
  if (existing) return existing;
  return em.create(User, { email, name, role, verified: true, passwordHash: await hashPassword(password) });
}

async function remintSimulatorTokens(
  em: EntityManager,
  cipher: TokenCipher,
  simulator: Simulator,
): Promise<number> {
  const stored = await em.find(SocialAccount, { status: { $ne: 'disconnected' } });
  let count = 0;
  for (const account of stored) {
    if (!knownToSimulator(simulator, account)) continue;
    const tokens = simulator.control.issueTokens(account.platform, account.externalId);
    em.assign(account, {
      accessTokenEnc: cipher.encrypt(tokens.accessToken),
      refreshTokenEnc: tokens.refreshToken ? cipher.encrypt(tokens.refreshToken) : null,
      accessExpiresAt: tokens.accessExpiresAt,
      refreshExpiresAt: tokens.refreshExpiresAt,
      tokenObtainedAt: tokens.obtainedAt,
      scopes: tokens.scopes.join(','),
      status: 'active',
      lastErrorCode: null,
      consecutiveFailures: 0,
      incidentOpenedAt: null,
    });
    count++;
  }
  await em.flush();
  return count;
}

function knownToSimulator(simulator: Simulator, account: SocialAccount): boolean {
  try {
    simulator.control.getAccount(account.platform, account.externalId);
    return true;
  } catch {
    return false;
  }
}
