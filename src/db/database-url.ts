import { z } from 'zod';

/**
 * Migrations need only the database URL, so they do not require the whole service configuration
 * (secrets and platform credentials) to be present. The default matches src/config.ts.
 */
export function loadDatabaseUrl(env: NodeJS.ProcessEnv): string {
  return z
    .url()
    .default('postgresql://postgres@127.0.0.1:5432/socialsync')
    .parse(env.DATABASE_URL || undefined);
}
