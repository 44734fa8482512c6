import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { makeFreshCopy, waitUntilNothingRunsFrom } from '../../helpers/fresh-copy';

/**
 * The first-run promise, end to end: `npm run dev` in a fresh copy with an empty environment brings up
 * the whole service; the demo user logs in, syncs, sees COMPLETED with posts stored; Ctrl-C (SIGINT to the
 * foreground process group) stops everything it started.
 */
interface DevStack {
  child: ChildProcess;
  output: () => string;
  apiUrl: string;
  login: { email: string; password: string };
}

async function startDev(dir: string, extraEnv: Record<string, string> = {}): Promise<DevStack> {
  let output = '';
  const child = spawn('npm', ['run', 'dev'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...extraEnv },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 150_000;
  while (!/socialsync is running/.test(output)) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm run dev not ready:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const apiUrl = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(output)![1];
  const [, email, password] = /Demo user\s+(\S+) \/ (\S+)/.exec(output)!;
  return { child, output: () => output, apiUrl, login: { email, password } };
}

async function api(stack: DevStack, method: string, path: string, token?: string, body?: unknown) {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Returns the completed sync's workflow id. */
async function syncAsDemoUser(stack: DevStack): Promise<string> {
  const login = await api(stack, 'POST', '/api/v1/auth/login', undefined, stack.login);
  expect(login.status).toBe(200);
  const token = login.body.token as string;
  const started = await api(stack, 'POST', '/api/v1/instagram/sync', token);
  expect(started.status).toBe(202);
  let status: Record<string, unknown> = {};
  for (let i = 0; i < 120 && status.status !== 'COMPLETED'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    status = (await api(stack, 'GET', `/api/v1/workflows/${started.body.workflowId as string}`, token)).body;
  }
  expect(status.status).toBe('COMPLETED');
  const accountId = (status.result as { accountId: string }).accountId;
  const posts = await api(stack, 'GET', `/api/v1/accounts/${accountId}/posts?limit=50`, token);
  expect(posts.status).toBe(200);
  expect((posts.body.posts as unknown[]).length).toBe(25);
  return started.body.workflowId as string;
}

async function loginToken(stack: DevStack): Promise<string> {
  return (await api(stack, 'POST', '/api/v1/auth/login', undefined, stack.login)).body.token as string;
}

async function interruptAndWait(stack: DevStack): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => stack.child.once('exit', (code) => resolve(code)));
  process.kill(-stack.child.pid!, 'SIGINT');
  return exited;
}

describe.each([
  ['a local PostgreSQL server', {}],
  ['PostgreSQL unreachable (embedded PostgreSQL)', { PGPORT: '1' }],
])('npm run dev on a fresh copy with %s', (_label, extraEnv: Record<string, string>) => {
  let dir: string;
  beforeAll(() => (dir = makeFreshCopy('dev')));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves the demo user end to end, leaves no process behind after Ctrl-C, and keeps its data', async () => {
    const stack = await startDev(dir, extraEnv);
    let workflowId: string;
    try {
      if (extraEnv.PGPORT) expect(stack.output()).toContain('PostgreSQL: embedded PostgreSQL');
      workflowId = await syncAsDemoUser(stack);
    } finally {
      await interruptAndWait(stack);
    }
    // npm itself exits at once on Ctrl-C; the dev runner then stops its children in order.
    expect(await waitUntilNothingRunsFrom(dir)).toEqual([]);
    expect(stack.output()).toContain('[dev] stopping Temporal dev server');
    expect(stack.output()).toContain('[dev] stopping PostgreSQL');

    // A second start reuses the data: the workflow history (Temporal's file) and the synced rows (PostgreSQL).
    const again = await startDev(dir, extraEnv);
    try {
      const token = await loginToken(again);
      const status = await api(again, 'GET', `/api/v1/workflows/${workflowId}`, token);
      expect(status.body.status).toBe('COMPLETED');
      const accounts = (await api(again, 'GET', '/api/v1/accounts', token)).body.accounts as {
        lastSyncedAt: string | null;
      }[];
      expect(accounts.some((account) => account.lastSyncedAt !== null)).toBe(true);
    } finally {
      await interruptAndWait(again);
    }
    expect(await waitUntilNothingRunsFrom(dir)).toEqual([]);
  }, 400_000);
});
