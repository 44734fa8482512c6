import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { PROJECT_ROOT } from '../../src/devtools/tooling/toolchain';
import { eventually } from './processes';

export type LogLine = Record<string, unknown>;

/** A real `node --import tsx src/start-*.ts` process, its output kept line by line. */
export interface ServiceProcess {
  child: ChildProcess;
  /** Every line of stdout and stderr, in order. */
  lines: string[];
  /** The lines that are JSON objects (pino's), parsed. */
  logs(): LogLine[];
  waitForLog(predicate: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
  /** SIGKILL if still running (test clean-up). */
  kill(): void;
}

export function startService(
  entry: 'src/start-worker.ts' | 'src/start-api.ts',
  env: Record<string, string>,
): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, entry)], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr])
    readline.createInterface({ input: stream }).on('line', (line) => lines.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logs = () => lines.flatMap((line) => (line.startsWith('{') ? [JSON.parse(line) as LogLine] : []));
  return {
    child,
    lines,
    logs,
    exited,
    waitForLog: async (predicate, what, timeoutMs = 90_000) => {
      let exitedEarly = false;
      void exited.then(() => (exitedEarly = true));
      return eventually(
        async () => {
          const found = logs().find(predicate);
          if (!found && exitedEarly)
            throw new Error(`${entry} exited before ${what}:\n${lines.slice(-30).join('\n')}`);
          return found;
        },
        `${entry}: ${what}`,
        timeoutMs,
      );
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Waits for the exit; a process still running after `timeoutMs` fails the test (and is killed). */
export async function exitCodeWithin(service: ServiceProcess, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running ${timeoutMs} ms after the signal`)), timeoutMs);
  });
  try {
    return await Promise.race([service.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
