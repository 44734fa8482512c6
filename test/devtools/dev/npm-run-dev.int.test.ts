import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  listeningAddressesOf,
  makeFreshCopy,
  pidsOf,
  processesMentioning,
  waitUntilNothingRunsFrom,
} from '../../helpers/fresh-copy';
import { temporalCliPath } from '../../helpers/processes';
import { dropDatabase } from '../../helpers/database';

/**
 * The first-run promise, end to end: `npm run dev` in a fresh copy with an empty environment brings up
 * the whole service; the demo user logs in, syncs, sees COMPLETED with posts stored; Ctrl-C (SIGINT to the
 * foreground process group) stops everything it started. Two fresh copies started at the same moment both
 * come up, each ready when its summary says so.
 */
interface DevStack {
  child: ChildProcess;
  output: () => string;
  apiUrl: string;
  temporalAddress: string;
  login: { email: string; password: string };
  admin: { email: string; password: string };
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
  const temporalAddress = /Temporal\s+(127\.0\.0\.1:\d+)/.exec(output)![1];
  const [, email, password] = /Demo user\s+(\S+) \/ (\S+)/.exec(output)!;
  const [, adminEmail, adminPassword] = /Admin\s+(\S+) \/ (\S+)/.exec(output)!;
  return {
    child,
    output: () => output,
    apiUrl,
    temporalAddress,
    login: { email, password },
    admin: { email: adminEmail, password: adminPassword },
  };
}

/** Starts several at the same moment; if one fails, the others are stopped before the error is thrown. */
async function startTogether(dirs: string[]): Promise<DevStack[]> {
  const started = await Promise.allSettled(dirs.map((dir) => startDev(dir)));
  const stacks = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(stacks.map(interruptAndWait));
    throw failure.reason;
  }
  return stacks;
}

/** What `temporal schedule list` prints against a stack's own Temporal server. */
function listSchedules(stack: DevStack): string {
  return execFileSync(
    temporalCliPath(),
    ['schedule', 'list', '--address', stack.temporalAddress, '--namespace', 'default'],
    { encoding: 'utf8', timeout: 30_000 },
  );
}

/** Checked right after the summary, with no waiting: ready means ready. */
async function expectReadyAsPrinted(stack: DevStack, dir: string): Promise<void> {
  const schedules = listSchedules(stack);
  expect(schedules).toContain('token-refresh-daily');
  expect(schedules).toContain('data-sync-daily');
  // Its Temporal file keeps a write-ahead log (no sync to disk on every commit): the log sits next to it.
  expect(fs.existsSync(path.join(dir, '.data', 'temporal', 'dev.sqlite-wal'))).toBe(true);
  // Its own database: the admin password this stack printed is the one its database holds.
  expect((await api(stack, 'POST', '/api/v1/auth/login', undefined, stack.admin)).status).toBe(200);
  // API, worker metrics, simulator, Temporal and its Web UI: all on loopback only.
  const addresses = listeningAddressesOf(pidsOf(processesMentioning(dir)));
  expect(addresses).toEqual(expect.arrayContaining([new URL(stack.apiUrl).host, stack.temporalAddress]));
  expect(addresses.filter((address) => !/^(127\.\d+\.\d+\.\d+|\[::1\]):\d+$/.test(address))).toEqual([]);
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

/**
 * The summary's browser line, run as printed: it prints the simulator's consent URL; allowing there sends the
 * browser to the API's own callback (the dev stack's redirect URIs), which answers that the account is connected.
 */
async function connectAsTheSummarySays(stack: DevStack): Promise<void> {
  const line = /Connect an account from a browser.*\n\s+(.+)\n/.exec(stack.output())![1];
  const printed = execFileSync('bash', ['-c', line], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, TOKEN: await loginToken(stack) },
  }).trim();
  const consent = new URL(printed);
  consent.searchParams.set('sim_decision', 'allow'); // what the screen's Allow button sends
  const toCallback = await fetch(consent, { redirect: 'manual' });
  const callback = new URL(toCallback.headers.get('location')!);
  expect(`${callback.origin}${callback.pathname}`).toBe(`${stack.apiUrl}/api/v1/oauth/tiktok/callback`);
  const landed = await fetch(callback, { redirect: 'manual' });
  expect(landed.status).toBe(200);
  expect(await landed.text()).toContain('TikTok account connected');
}

/** NOTIFY_WEBHOOK_URL unset: the dev runner's receiver writes the sync's account.synced event to the printed file. */
async function expectSyncedEventReceived(stack: DevStack): Promise<void> {
  const file = /Webhooks\s+.*tail -f (\S+)/.exec(stack.output())?.[1];
  expect(file).toMatch(/webhook-events\.jsonl$/);
  for (let i = 0; i < 60; i++) {
    const lines = fs.existsSync(file!) ? fs.readFileSync(file!, 'utf8').trim().split('\n') : [];
    if (lines.some((line) => line.includes('"kind":"account.synced"'))) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`no account.synced event in ${file}`);
}

async function loginToken(stack: DevStack): Promise<string> {
  return (await api(stack, 'POST', '/api/v1/auth/login', undefined, stack.login)).body.token as string;
}

async function interruptAndWait(stack: DevStack): Promise<number | null> {
  // Already gone (it failed on its own): keep the test's own failure visible instead of an ESRCH from kill.
  if (stack.child.exitCode !== null || stack.child.signalCode !== null) return stack.child.exitCode;
  const exited = new Promise<number | null>((resolve) => stack.child.once('exit', (code) => resolve(code)));
  process.kill(-stack.child.pid!, 'SIGINT');
  return exited;
}

describe('npm run dev on two fresh copies started at the same moment, with a local PostgreSQL server', () => {
  let dirs: string[];
  const databases = new Set<string>();
  beforeAll(() => (dirs = [makeFreshCopy('dev-a'), makeFreshCopy('dev-b')]));
  afterAll(async () => {
    dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
    // Each checkout has its own database on the shared server: leave none behind.
    for (const name of databases) await dropDatabase(name);
  });

  it('brings both up, each ready as printed; one serves the demo user end to end, stops cleanly and keeps its data', async () => {
    const stacks = await startTogether(dirs);
    let workflowId: string;
    try {
      for (const stack of stacks) databases.add(/database (socialsync_dev_\w+)/.exec(stack.output())![1]);
      expect(databases.size).toBe(2);
      expect(new Set(stacks.map((stack) => stack.apiUrl)).size).toBe(2);
      expect(new Set(stacks.map((stack) => stack.temporalAddress)).size).toBe(2);
      for (const [index, stack] of stacks.entries()) await expectReadyAsPrinted(stack, dirs[index]);
      workflowId = await syncAsDemoUser(stacks[0]);
      await connectAsTheSummarySays(stacks[0]);
    } finally {
      await Promise.all(stacks.map(interruptAndWait));
    }
    // npm itself exits at once on Ctrl-C; the dev runner then stops its children in order.
    for (const dir of dirs) expect(await waitUntilNothingRunsFrom(dir)).toEqual([]);
    expect(stacks[0].output()).toContain('[dev] stopping Temporal dev server');
    expect(stacks[0].output()).toContain('[dev] stopping PostgreSQL');

    // A second start reuses the data: the workflow history (Temporal's file) and the synced rows (PostgreSQL).
    const [again] = await startTogether([dirs[0]]);
    try {
      await expectKeptData(again, workflowId);
    } finally {
      await interruptAndWait(again);
    }
    expect(await waitUntilNothingRunsFrom(dirs[0])).toEqual([]);
  }, 500_000);
});

describe('npm run dev on a fresh copy with PostgreSQL unreachable (embedded PostgreSQL)', () => {
  let dir: string;
  beforeAll(() => (dir = makeFreshCopy('dev')));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves the demo user end to end, leaves no process behind after Ctrl-C, and keeps its data', async () => {
    const extraEnv = { PGPORT: '1' };
    const stack = await startDev(dir, extraEnv);
    let workflowId: string;
    try {
      expect(stack.output()).toContain('PostgreSQL: embedded PostgreSQL');
      workflowId = await syncAsDemoUser(stack);
      await expectSyncedEventReceived(stack);
    } finally {
      await interruptAndWait(stack);
    }
    expect(await waitUntilNothingRunsFrom(dir)).toEqual([]);

    const again = await startDev(dir, extraEnv);
    try {
      await expectKeptData(again, workflowId);
    } finally {
      await interruptAndWait(again);
    }
    expect(await waitUntilNothingRunsFrom(dir)).toEqual([]);
  }, 400_000);
});

async function expectKeptData(stack: DevStack, workflowId: string): Promise<void> {
  const token = await loginToken(stack);
  const status = await api(stack, 'GET', `/api/v1/workflows/${workflowId}`, token);
  expect(status.body.status).toBe('COMPLETED');
  const accounts = (await api(stack, 'GET', '/api/v1/accounts', token)).body.accounts as {
    lastSyncedAt: string | null;
  }[];
  expect(accounts.some((account) => account.lastSyncedAt !== null)).toBe(true);
}
