import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { findFreePort } from '../../process/free-port';

/**
 * A `redis-server` of its own that the fault suite may stop and start again on the same port. Append-only
 * file on, as docker-compose.yml runs Redis: a restart keeps the limiters' windows, budgets and leases.
 */
export interface PrivateRedis {
  url: string;
  isRunning(): boolean;
  /** SIGTERM (Redis saves and exits); resolves once the process is gone. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it (if running) and deletes its data directory. */
  destroy(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsync-faults-redis-'));
  const port = await findFreePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir],
    ...['--appendonly', 'yes', '--save', '', '--protected-mode', 'yes'],
  ];
  const server: PrivateRedis = {
    url,
    isRunning: () => child !== null,
    async start() {
      const started = spawn('redis-server', args, { stdio: 'ignore' });
      const spawnError = new Promise<Error>((resolve) => started.once('error', resolve));
      child = started;
      started.once('exit', () => {
        if (child === started) child = null;
      });
      const ready = await Promise.race([waitForPing(url), spawnError]);
      if (ready instanceof Error) {
        child = null;
        throw new Error(`redis-server could not be started (${ready.message}); is it installed and on PATH?`);
      }
    },
    async stop() {
      const running = child;
      if (!running) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill('SIGTERM');
      const killTimer = setTimeout(() => running.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killTimer);
      child = null;
    },
    async destroy() {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

async function waitForPing(url: string): Promise<true> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined); // a refused connect also rejects connect(), handled below
    try {
      await redis.connect();
      if ((await redis.ping()) === 'PONG') return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      redis.disconnect();
    }
  }
  throw new Error(`private Redis at ${url} does not answer`);
}
