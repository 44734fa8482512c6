import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { findFreePort } from '../../process/free-port';

export interface ProvidedRedis {
  /** null: no Redis at all; the API's limiters use their in-process store. */
  url: string | null;
  source: string;
  stop(): Promise<void>;
}

/** REDIS_URL if set; else 127.0.0.1:6379; else a `redis-server` on PATH; else none (in-process fallback). */
export async function provideRedis(env: NodeJS.ProcessEnv): Promise<ProvidedRedis> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: 'REDIS_URL', stop: async () => undefined };
  const local = 'redis://127.0.0.1:6379';
  if (await answers(local))
    return { url: local, source: 'local server on 127.0.0.1:6379', stop: async () => undefined };
  const spawned = await spawnRedisServer();
  return spawned ?? { url: null, source: 'none', stop: async () => undefined };
}

async function answers(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

async function spawnRedisServer(): Promise<ProvidedRedis | null> {
  const port = await findFreePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
      detached: true,
    },
  );
  const failed = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(true));
    setTimeout(() => resolve(false), 300);
  });
  const url = `redis://127.0.0.1:${port}`;
  if (failed || !(await answers(url))) {
    child.kill('SIGKILL');
    return null;
  }
  return {
    url,
    source: `redis-server started on ${port} (no persistence)`,
    stop: async () => void child.kill('SIGTERM'),
  };
}
