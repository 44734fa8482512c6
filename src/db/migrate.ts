/**
 * `npm run db:migrate` applies committed migrations; `npm run db:migration:create` writes a new one from the
 * difference between the entities and the database (review it, then commit it). Creates the database when
 * it does not exist yet, so a fresh machine needs no manual step.
 */
import { loadDatabaseUrl } from './database-url';
import { ensureDatabaseExists } from './ensure-database';
import { migrateToLatest, openOrm } from './orm';

async function main(): Promise<void> {
  const databaseUrl = loadDatabaseUrl(process.env);
  const create = process.argv.includes('--create');
  await ensureDatabaseExists(databaseUrl);
  const orm = await openOrm({ databaseUrl, poolMax: 2 });
  try {
    if (create) {
      const initial = process.argv.includes('--initial');
      const result = await orm.getMigrator().createMigration(undefined, false, initial);
      process.stdout.write(result.fileName ? `created ${result.fileName}\n` : 'no schema changes\n');
    } else {
      const applied = await migrateToLatest(orm);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    }
  } finally {
    await orm.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
