import path from 'node:path';
import { Client } from 'pg';
import { findFreePort } from '../../process/free-port';
import { startTsProcess } from './child-process';

export interface ProvidedService {
  url: string;
  /** What was chosen, for the start-up summary. */
  source: string;
  stop(): Promise<void>;
}

/**
 * DATABASE_URL if set; else `localDatabase` on a server answering on 127.0.0.1:5432 (libpq's PGPORT moves the
 * probe; the migration creates the database); else an embedded PostgreSQL from npm with its data in the
 * data folder.
 */
export async function providePostgres(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  localDatabase: string,
): Promise<ProvidedService> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, source: 'DATABASE_URL', stop: async () => undefined };
  const localServer = `postgresql://postgres@127.0.0.1:${env.PGPORT || 5432}`;
  if (await answers(`${localServer}/postgres`)) {
    return {
      url: `${localServer}/${localDatabase}`,
      source: `local server on ${new URL(localServer).host}, database ${localDatabase}`,
      stop: async () => undefined,
    };
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
  const port = await findFreePort();
  const child = startTsProcess('postgres', 'src/devtools/dev/embedded-postgres-process.ts', process.env, [
    databaseDir,
    String(port),
  ]);
  const ready = await Promise.race([
    new Promise<boolean>((resolve) =>
      child.child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve(true)),
    ),
    child.exited.then(() => false),
  ]);
  if (!ready) {
    throw new Error(
      'embedded PostgreSQL failed to start (see [postgres] lines above). As root it runs as the "postgres" ' +
        'user, which must be able to read this checkout; or set DATABASE_URL to a PostgreSQL server.',
    );
  }
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/socialsync`,
    source: `embedded PostgreSQL (data in ${databaseDir})`,
    stop: () => child.stop(),
  };
}
