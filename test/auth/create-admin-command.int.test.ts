import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { User } from '../../src/db/entities';
import { PROJECT_ROOT } from '../../src/devtools/tooling/toolchain';
import { startApiHarness, type ApiHarness } from '../helpers/api';
import { TEST_ENV } from '../helpers/config';

jest.setTimeout(120_000);

describe('npm run admin -- create-admin (real PostgreSQL)', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness({ label: 'admin-cli' });
  });
  afterAll(() => h?.close());

  function admin(args: string[], input?: string, viaNpm = false) {
    const env = { ...process.env, ...TEST_ENV, DATABASE_URL: h.db.url };
    const [command, commandArgs] = viaNpm
      ? ['npm', ['run', '--silent', 'admin', '--', ...args]]
      : [path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), ['src/start-admin.ts', ...args]];
    return spawnSync(command, commandArgs, { cwd: PROJECT_ROOT, env, input, encoding: 'utf8' });
  }

  const login = (email: string, password: string) =>
    h.request.post('/api/v1/auth/login').send({ email, password });

  it('creates a verified admin who can log in with the admin role', async () => {
    const result = admin(
      [
        'create-admin',
        '--email',
        'Root@Socialsync.test',
        '--password',
        'a strong admin pw',
        '--name',
        'Root',
      ],
      undefined,
      true,
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Created admin root@socialsync\.test \(id [0-9a-f-]{36}\)/);
    const res = await login('root@socialsync.test', 'a strong admin pw');
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ role: 'admin', verified: true, name: 'Root' });
  });

  it('promotes an existing user and sets the password read from stdin', async () => {
    const signup = await h.request
      .post('/api/v1/auth/signup/salon')
      .send({ email: 'owner@socialsync.test', password: 'salon password', name: 'Owner' });
    expect(signup.status).toBe(201);
    const result = admin(
      ['create-admin', '--email', 'owner@socialsync.test', '--password-stdin'],
      'piped admin password\n',
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('owner@socialsync.test');
    expect(result.stdout).toContain('is now an admin');
    expect((await login('owner@socialsync.test', 'salon password')).status).toBe(401);
    const res = await login('owner@socialsync.test', 'piped admin password');
    // Without --name the user keeps the name they signed up with.
    expect(res.body.user).toMatchObject({ role: 'admin', name: 'Owner' });
    expect(await h.db.orm.em.fork().count(User, { email: 'owner@socialsync.test' })).toBe(1);
  });

  it('refuses bad input with the usage and exit code 1, writing nothing', async () => {
    const badEmail = admin(['create-admin', '--email', 'not-an-email', '--password', 'long enough pw']);
    expect(badEmail.status).toBe(1);
    expect(badEmail.stderr).toContain('--email');
    expect(badEmail.stderr).toContain('Usage: npm run admin -- create-admin');
    const shortPassword = admin(['create-admin', '--email', 'x@socialsync.test', '--password', 'short']);
    expect(shortPassword.status).toBe(1);
    expect(shortPassword.stderr).toContain('--password');
    const unknownFlag = admin(['create-admin', '--email', 'x@socialsync.test', '--role', 'admin']);
    expect(unknownFlag.status).toBe(1);
    expect(await h.db.orm.em.fork().count(User, { email: 'x@socialsync.test' })).toBe(0);
    const unknownCommand = admin(['make-me-admin']);
    expect(unknownCommand.status).toBe(1);
    expect(unknownCommand.stderr).toContain('create-admin');
  });
});
