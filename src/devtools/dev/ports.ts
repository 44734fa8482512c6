import net from 'node:net';
import { findFreePort } from '../../process/free-port';

/**
 * Ports of `npm run dev`: the usual ones when free, others when a second checkout (or a test) holds them; the
 * start-up summary prints whatever was chosen. A port found free is only a guess until it is bound: two
 * stacks started at the same moment both find 3000 free. So every chosen port is either bound at once by
 * the dev runner itself (the simulator), or retried on another port when its process loses the race (the
 * Temporal dev server says "address already in use"; the API and the worker exit with code 98).
 */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export async function preferredOrFreePort(preferred: number): Promise<number> {
  return (await portIsFree(preferred)) ? preferred : findFreePort();
}

/** Temporal's usual ports on the first attempt (7233, its Web UI 1000 above), free ones after a clash. */
export async function temporalDevPorts(attempt: number): Promise<{ port: number; uiPort: number }> {
  if (attempt > 1) return { port: await findFreePort(), uiPort: await findFreePort() };
  const port = await preferredOrFreePort(7233);
  return { port, uiPort: await preferredOrFreePort(port + 1000) };
}

/**
 * Binds `listen(port)` to the preferred port, or to one the OS picks when that is taken: no probe, so no
 * race. Returns whatever `listen` returned.
 */
export async function listenOnPreferredPort<T>(
  preferred: number,
  listen: (port: number) => Promise<T>,
): Promise<T> {
  try {
    return await listen(preferred);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    return listen(0);
  }
}
