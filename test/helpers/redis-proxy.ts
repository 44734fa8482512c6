import net, { type AddressInfo } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of the run's real Redis, to put it in the states the limiters must tell
 * apart: answering slowly (`delayMs`), answering never (`hold`: the connection stays up, replies are held
 * back, as with a stalled server or network), and gone (`cut`: connections closed, new ones refused,
 * until `restore`). It counts the limiter scripts (EVALSHA/EVAL) that reached Redis.
 */
export interface RedisProxy {
  url: string;
  delayMs: number;
  /** Holds every reply back from now on (the connection stays up). */
  hold(): void;
  /** Delivers the held replies in order (a Redis client matches replies to commands in order), then passes. */
  release(): void;
  /** Limiter script calls forwarded to Redis so far. */
  scriptCalls(): number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

const SCRIPT_COMMAND = /\r\n(evalsha|eval)\r\n/gi;

export async function startRedisProxy(targetUrl: string): Promise<RedisProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  let scripts = 0;
  let holding = false;
  const releases = new Set<() => void>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    const held: Buffer[] = [];
    const release = () => {
      for (const chunk of held.splice(0)) client.write(chunk);
    };
    releases.add(release);
    client.on('data', (chunk) => {
      scripts += chunk.toString('latin1').match(SCRIPT_COMMAND)?.length ?? 0;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (holding) held.push(chunk);
      else if (proxy.delayMs > 0) setTimeout(() => client.write(chunk), proxy.delayMs);
      else client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(socket);
        releases.delete(release);
      });
    }
  });
  const listen = (port: number) =>
    new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const proxy: RedisProxy = {
    url: `redis://127.0.0.1:${port}`,
    delayMs: 0,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const release of releases) release();
    },
    scriptCalls: () => scripts,
    async cut() {
      const closed = closeServer();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    restore: () => listen(port),
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await closeServer();
    },
  };
  return proxy;
}
