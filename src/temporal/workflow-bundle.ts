import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Logger } from 'pino';

/**
 * The worker's workflow code as one prebuilt bundle file, built once per version of that code and in a
 * process of its own. Bundling runs webpack: done inside the worker it left ~120 MB of the worker's peak
 * RSS behind (127 -> 246 MB, measured with VmHWM around bundleWorkflowCode), for the whole life of the
 * process. The file name carries a hash of the workflow sources and of the lockfile (the SDK's own code is
 * bundled too), so a changed workflow or SDK builds a new one and an old file is never used by mistake.
 */

const ROOT = path.resolve(__dirname, '..', '..');
export const WORKFLOWS_PATH = path.join(ROOT, 'workflows', 'index.ts');
const BUNDLER_ENTRY = path.join(__dirname, 'bundle-workflows.ts');

/** The bundle file for the workflow code as it is now, built (in a child process) when missing. */
export async function prebuiltWorkflowBundle(
  cacheDir: string,
  logger: Logger,
): Promise<{ codePath: string }> {
  const codePath = path.join(cacheDir, `workflows-${workflowCodeHash()}.js`);
  if (fs.existsSync(codePath)) return { codePath };
  const started = Date.now();
  await runBundler(codePath);
  logger.info({ codePath, ms: Date.now() - started }, 'workflow bundle built');
  return { codePath };
}

/** Bundles workflows/index.ts into `outPath`, written atomically (two workers may build at once). */
export async function writeWorkflowBundle(outPath: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  fs.mkdirSync(path.dirname(outPath), { recursive: true });
  const temporary = `${outPath}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, code);
  fs.renameSync(temporary, outPath);
}

export function workflowCodeHash(): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles(path.dirname(WORKFLOWS_PATH))) {
    hash.update(path.relative(ROOT, file)).update(fs.readFileSync(file));
  }
  const lockfile = path.join(ROOT, 'package-lock.json');
  if (fs.existsSync(lockfile)) hash.update(fs.readFileSync(lockfile));
  return hash.digest('hex').slice(0, 16);
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(full);
      return /\.ts$/.test(entry.name) ? [full] : [];
    })
    .sort();
}

function runBundler(outPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BUNDLER_ENTRY, outPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errors = (errors + chunk.toString()).slice(-4000);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`workflow bundling failed (exit ${code}):\n${errors}`)),
    );
  });
}

/** webpack's progress lines are noise in a worker's log; its errors still fail the build. */
const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => process.stderr.write(`${message}\n`),
  error: (message: string) => process.stderr.write(`${message}\n`),
  log: () => undefined,
};
