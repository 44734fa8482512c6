import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig, type OrmConfigInput } from './mikro-orm.config';

export type Orm = MikroORM;

export async function openOrm(input: OrmConfigInput): Promise<Orm> {
  return MikroORM.init(createOrmConfig(input));
}

/** Applies every pending committed migration; returns the names applied. */
export async function migrateToLatest(orm: Orm): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((migration) => migration.name);
}
