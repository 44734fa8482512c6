import net from 'node:net';
import { findFreePort } from '../../process/free-port';

export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * The usual port when it is free, otherwise any free one: a second checkout (or a test) can run its own
 * dev stack beside the first. The start-up summary prints whatever was chosen.
 */
export async function preferredOrFreePort(preferred: number): Promise<number> {
  return (await portIsFree(preferred)) ? preferred : findFreePort();
}
