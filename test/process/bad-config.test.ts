import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { TEST_ENV } from '../helpers/config';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

function start(entry: string, env: Record<string, string>) {
  return spawnSync(TSX, [path.join(ROOT, 'src', entry)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe.each(['start-api.ts', 'start-worker.ts'])('%s with bad configuration', (entry) => {
  it('exits non-zero naming every missing variable', () => {
    const result = start(entry, {});
    expect(result.status).toBe(1);
    for (const variable of [
      'ENCRYPTION_KEY',
      'JWT_SECRET',
      'CRON_JOB_SECRET',
      'INSTAGRAM_APP_ID',
      'TIKTOK_CLIENT_KEY',
    ]) {
      expect(result.stderr).toContain(`${variable}: is required`);
    }
  });

  it('exits non-zero naming each wrong value', () => {
    const result = start(entry, { ...TEST_ENV, ENCRYPTION_KEY: 'xyz', PORT: '-1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/ENCRYPTION_KEY: must be 64 hex/);
    expect(result.stderr).toMatch(/PORT:/);
    expect(result.stderr).not.toContain('JWT_SECRET');
  });
});
