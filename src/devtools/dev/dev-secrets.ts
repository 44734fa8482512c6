import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface DevSecrets {
  env: { ENCRYPTION_KEY: string; JWT_SECRET: string; CRON_JOB_SECRET: string };
  /** Password of the dev stack's admin user (admin@socialsync.local), printed at start. */
  adminPassword: string;
}

/**
 * Secrets for `npm run dev`, generated once per checkout and kept in the git-ignored data folder, so tokens
 * encrypted in one session still decrypt in the next and nobody ships a well-known key.
 */
export function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const file = path.join(dataDir, 'dev', 'secrets.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as DevSecrets;
  const secrets: DevSecrets = {
    env: {
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      JWT_SECRET: randomBytes(32).toString('base64url'),
      CRON_JOB_SECRET: randomBytes(24).toString('base64url'),
    },
    adminPassword: randomBytes(9).toString('base64url'),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
