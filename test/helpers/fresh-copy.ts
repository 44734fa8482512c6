import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * A fresh copy of the repository (tracked and new, non-ignored files: what a clone would hold), without
 * .data. node_modules and the Temporal toolchain venv are hard-linked in so the copy's own bootstrap finds
 * them in place instead of downloading ~400 MB again; the lockfile is dated back so `npm ci` is not re-run.
 */
export function makeFreshCopy(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `socialsync-${label}-`));
  // Like a checkout under /work or /home: embedded PostgreSQL, started as root, runs as the `postgres` user.
  fs.chmodSync(dir, 0o755);
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
  })
    .toString()
    .split('\0')
    .filter((file) => file && fs.existsSync(path.join(ROOT, file)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  }
  execFileSync('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules')]);
  fs.mkdirSync(path.join(dir, '.data', 'toolchain'), { recursive: true });
  const venv = path.join(ROOT, '.data', 'toolchain', 'venv');
  if (fs.existsSync(venv)) execFileSync('cp', ['-al', venv, path.join(dir, '.data', 'toolchain', 'venv')]);
  const past = new Date(Date.now() - 3600_000);
  fs.utimesSync(path.join(dir, 'package-lock.json'), past, past);
  return dir;
}

/**
 * Processes still running from `dir`: their command line mentions it (temporal's db file, postgres' data
 * dir, ...) or they run in it (npm, the dev runner).
 */
export function processesMentioning(dir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.trim() && !line.includes('ps -eo'))
    .filter(
      (line) => line.includes(dir) || workingDirectory(Number(line.trim().split(/\s+/)[0])).startsWith(dir),
    );
}

/** The local addresses (`127.0.0.1:3000`, `0.0.0.0:9464`, `[::]:80`) on which these processes listen (TCP). */
export function listeningAddressesOf(pids: number[]): string[] {
  const lines = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' }).split('\n');
  return lines.flatMap((line) => {
    const owners = [...line.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1]));
    return owners.some((pid) => pids.includes(pid)) ? [line.trim().split(/\s+/)[3]] : [];
  });
}

export function pidsOf(processLines: string[]): number[] {
  return processLines.map((line) => Number(line.trim().split(/\s+/)[0]));
}

function workingDirectory(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}

/** Waits until nothing runs from `dir` any more (a stopping stack may take a few seconds); returns leftovers. */
export async function waitUntilNothingRunsFrom(dir: string, timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = processesMentioning(dir);
  while (left.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    left = processesMentioning(dir);
  }
  return left;
}
