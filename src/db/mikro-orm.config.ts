import 'reflect-metadata';
import path from 'node:path';
import { defineConfig, type Options, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { BaseEntity } from './entities/base';
import { ENTITIES } from './entities';

export const MIGRATIONS_PATH = path.join(__dirname, 'migrations');

export interface OrmConfigInput {
  databaseUrl: string;
  /** Pool size per process; the worker runs many activities at once. */
  poolMax?: number;
  debug?: boolean;
  /**
   * A driver error's own stack ends in the socket parser; with this, knex keeps the frames where each query
   * was built (our store functions), which is what a failed activity shows in the Web UI. It costs one Error
   * per query (about 2-3 % of the API's CPU under load), so only the worker turns it on.
   */
  keepQueryFrames?: boolean;
}

export function createOrmConfig({
  databaseUrl,
  poolMax = 20,
  debug = false,
  keepQueryFrames = false,
}: OrmConfigInput): Options {
  return defineConfig({
    driver: PostgreSqlDriver,
    clientUrl: databaseUrl,
    entities: [BaseEntity, ...ENTITIES],
    discovery: { warnWhenNoEntities: true },
    extensions: [Migrator],
    pool: { min: 0, max: poolMax },
    driverOptions: { asyncStackTraces: keepQueryFrames },
    debug,
    // Explicit types on every property: the service runs through tsx/esbuild, which emits no decorator metadata.
    forceUtcTimezone: true,
    migrations: {
      path: MIGRATIONS_PATH,
      pathTs: MIGRATIONS_PATH,
      glob: '!(*.d).{js,ts}',
      transactional: true,
      allOrNothing: true,
      snapshot: true,
      snapshotName: '.snapshot',
      emit: 'ts',
    },
    // Guard against the "schema.update() at boot" pitfall: migrations are the only way the schema changes.
    ensureDatabase: false,
    allowGlobalContext: false,
  });
}
