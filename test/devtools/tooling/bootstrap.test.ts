import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TOOLCHAIN_FILE } from '../../../src/devtools/tooling/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BOOTSTRAP = path.join(ROOT, 'src', 'devtools', 'tooling', 'bootstrap.js');

function runBootstrap(env: Record<string, string>) {
  return spawnSync(process.execPath, [BOOTSTRAP], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('toolchain bootstrap', () => {
  const recorded = fs.readFileSync(TOOLCHAIN_FILE, 'utf8');
  afterAll(() => fs.writeFileSync(TOOLCHAIN_FILE, recorded));

  it('prefers TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH and says so', () => {
    const current = JSON.parse(recorded) as {
      temporalCli: { path: string | null };
      testServer: { path: string | null };
    };
    const cli = current.temporalCli.path ?? process.execPath;
    const testServer = current.testServer.path ?? process.execPath;
    const result = runBootstrap({ TEMPORAL_CLI_PATH: cli, TEMPORAL_TEST_SERVER_PATH: testServer });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`temporal CLI / dev server: ${cli} (TEMPORAL_CLI_PATH)`);
    expect(result.stdout).toContain(`time-skipping test server: ${testServer} (TEMPORAL_TEST_SERVER_PATH)`);
    expect(JSON.parse(fs.readFileSync(TOOLCHAIN_FILE, 'utf8')).temporalCli).toEqual({
      source: 'TEMPORAL_CLI_PATH',
      path: cli,
      label: 'temporal CLI / dev server',
    });
  });

  it('fails with what is wrong and how to fix it when TEMPORAL_CLI_PATH is not executable', () => {
    const result = runBootstrap({ TEMPORAL_CLI_PATH: '/nonexistent/temporal' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('TEMPORAL_CLI_PATH=/nonexistent/temporal is not an executable file');
    expect(result.stderr).toContain('unset TEMPORAL_CLI_PATH');
  });
});
