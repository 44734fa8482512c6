import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import path from 'node:path';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stop(timeoutMs?: number): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * Runs a TypeScript entry point as `node --import tsx <entry>`: one process (no wrapper to relay signals), in
 * its own process group so a terminal Ctrl-C reaches only the dev runner, which then stops children in order.
 * With `ipc`, the child can tell the runner it is up (`announceReady` in src/process/boot.ts).
 */
export function startTsProcess(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
  { ipc = false }: { ipc?: boolean } = {},
): ManagedProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry), ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? (['ipc'] as const) : [])],
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    readline
      .createInterface({ input: stream })
      .on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, exited, stop: (timeoutMs = 35_000) => stopProcess(child, exited, timeoutMs) };
}

async function stopProcess(
  child: ChildProcess,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
