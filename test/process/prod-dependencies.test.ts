import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The Docker image runs `npm ci --omit=dev`: a production entry point that imports a devDependency (even
 * transitively, e.g. a helper module that also serves the dev runner) would crash there. Each entry point is
 * started with an empty environment, so it loads all its modules and then stops at the configuration check.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const PROBE = path.join(__dirname, 'dev-dependency-probe.cjs');

// What each entry point prints once every module is loaded and its main() runs: proof the probe saw them all.
describe.each([
  ['src/start-api.ts', /Invalid configuration/],
  ['src/start-worker.ts', /Invalid configuration/],
  ['src/start-admin.ts', /Commands:/],
  ['src/db/migrate.ts', /migration failed/],
])('%s', (entry, ranMain) => {
  it('loads no devDependency', () => {
    const result = spawnSync(
      process.execPath,
      ['--require', PROBE, '--import', 'tsx', path.join(ROOT, entry)],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgresql://127.0.0.1:1/none' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(`${result.stdout}${result.stderr}`).toMatch(ranMain);
    expect(result.stderr).not.toMatch(/DEV DEPENDENCY LOADED/);
  });
});
