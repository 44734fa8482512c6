import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { findFreePort } from '../../process/free-port';
import { spawnTypeScript } from '../bench/child-process';

/**
 * Real `src/start-worker.ts` and `src/start-api.ts` processes, their output kept line by line so the suite
 * can wait for a log message, count work per process, and show the last lines when one dies early.
 */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Set for an API process. */
  baseUrl: string | null;
  /** pino messages (`msg`) seen so far, counted. */
  messageCount(msg: string): number;
  /** An API's own durations (ms) of the requests it answered so far, in order (its `request` log lines). */
  requestDurations(): number[];
  tail(lines?: number): string;
  exited: Promise<void>;
  isRunning(): boolean;
  /** SIGKILL (the fault); resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const READY_TIMEOUT_MS = 180_000;

/** Every worker and API process started and not yet gone. */
const live = new Set<ServiceProcess>();

/** SIGKILLs every worker and API process still running (the suite's last resort on its way out). */
export async function killServiceProcesses(): Promise<void> {
  await Promise.all([...live].map((service) => service.kill()));
}

export async function startWorkerProcess(name: string, env: Record<string, string>): Promise<ServiceProcess> {
  const service = spawnService(name, 'src/start-worker.ts', env, null);
  await waitUntil(service, () => service.messageCount('worker running') > 0, 'worker running');
  return service;
}

export async function startApiProcess(name: string, env: Record<string, string>): Promise<ServiceProcess> {
  // The OS picks a free port; another process may take it before the API binds: then try another one.
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    const service = spawnService(name, 'src/start-api.ts', { ...env, PORT: String(port) }, port);
    try {
      await waitUntil(service, () => service.messageCount('api listening') > 0, 'api listening');
      return service;
    } catch (error) {
      await service.stop(1_000);
      if (attempt >= 3 || !/EADDRINUSE/.test(service.tail())) throw error;
    }
  }
}

function spawnService(
  name: string,
  entry: string,
  env: Record<string, string>,
  port: number | null,
): ServiceProcess {
  const child = spawnTypeScript(entry, env);
  const lines: string[] = [];
  const counts = new Map<string, number>();
  const durations: number[] = [];
  const collect = (line: string) => {
    lines.push(line);
    if (lines.length > 200) lines.splice(0, lines.length - 200);
    if (!line.startsWith('{')) return;
    let entry: { msg?: unknown; ms?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return; // not a log line
    }
    if (typeof entry.msg === 'string') counts.set(entry.msg, (counts.get(entry.msg) ?? 0) + 1);
    if (entry.msg === 'request' && typeof entry.ms === 'number') durations.push(entry.ms);
  };
  for (const stream of [child.stdout, child.stderr])
    if (stream) readline.createInterface({ input: stream }).on('line', collect);
  let running = true;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running = false;
      live.delete(service);
      resolve();
    }),
  );
  const signal = async (sig: NodeJS.Signals, graceMs: number | null) => {
    if (!running) return;
    child.kill(sig);
    const timer = graceMs === null ? null : setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    if (timer) clearTimeout(timer);
  };
  const service: ServiceProcess = {
    name,
    child,
    baseUrl: port === null ? null : `http://127.0.0.1:${port}`,
    messageCount: (msg) => counts.get(msg) ?? 0,
    requestDurations: () => [...durations],
    tail: (count = 30) => lines.slice(-count).join('\n'),
    exited,
    isRunning: () => running,
    kill: () => signal('SIGKILL', null),
    stop: (graceMs = 30_000) => signal('SIGTERM', graceMs),
  };
  live.add(service);
  return service;
}

async function waitUntil(service: ServiceProcess, ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!ready()) {
    if (!service.isRunning()) throw new Error(`${service.name} exited before "${what}":\n${service.tail()}`);
    if (Date.now() > deadline) {
      await service.kill();
      throw new Error(`${service.name}: no "${what}" after ${READY_TIMEOUT_MS / 1000} s:\n${service.tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
