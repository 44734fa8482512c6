import { Client } from 'pg';
import { openOrm, type Orm } from '../../src/db/orm';
import { databaseUrl, getIntegrationEnv } from './integration-env';

export interface TestDatabase {
  url: string;
  orm: Orm;
  /** Closes the ORM and drops the database. */
  drop(): Promise<void>;
}

let counter = 0;

/**
 * A private, migrated database for one test file, cloned from the run's template in a few hundred ms, so
 * fleet queries ("every active account") see only this file's rows.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const env = getIntegrationEnv();
  const name = `${env.templateDatabase}_${process.pid}_${++counter}`;
  await runOnServer(env.postgresUrl, `create database "${name}" template "${env.templateDatabase}"`);
  const url = databaseUrl(env.postgresUrl, name);
  const orm = await openOrm({ databaseUrl: url, poolMax: 20, keepQueryFrames: true });
  return {
    url,
    orm,
    drop: async () => {
      await orm.close(true);
      await runOnServer(env.postgresUrl, `drop database if exists "${name}" with (force)`);
    },
  };
}

/** Drops a database the test did not create itself (e.g. one `npm run dev` made in a fresh copy). */
export async function dropDatabase(name: string): Promise<void> {
  await runOnServer(
    getIntegrationEnv().postgresUrl,
    `drop database if exists "${name.replace(/"/g, '""')}" with (force)`,
  );
}

async function runOnServer(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    // Cloning a template fails while another session is connected to it; retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(sql);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await client.end();
  }
}
