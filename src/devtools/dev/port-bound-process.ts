import { EXIT_ADDRESS_IN_USE } from '../../process/boot';
import { findFreePort } from '../../process/free-port';
import { startTsProcess, type ManagedProcess } from './child-process';

/** Five lost races in a row means something else is wrong (the summary would name a port nobody holds). */
const MAX_ATTEMPTS = 5;

export interface PortBoundOptions {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  /** The variable carrying the port; its value in `env` is the first port tried. */
  variable: string;
  /** False when the user set the port: it is then used as given, and a clash ends the start-up. */
  mayMove: boolean;
  /** Variables that follow the port (the platforms' redirect URIs name the API's). */
  envFor?: (port: number) => Record<string, string>;
  /** Resolves once this very process is up; `exited` aborts when it ends first. */
  ready: (child: ManagedProcess, exited: AbortSignal) => Promise<void>;
  say: (message: string) => void;
}

export interface PortBoundProcess {
  name: string;
  /** The attempt that came up, and its port. */
  started: Promise<{ process: ManagedProcess; port: number }>;
  stop(): Promise<void>;
}

/**
 * Starts a child process (the API, the worker) on a port the dev runner chose. When another process took the
 * port between the choice and the bind, the child exits with code 98 (EADDRINUSE) and is started again on a
 * port the OS picks, up to 5 times, so two stacks started at the same moment both come up.
 */
export function startOnOwnPort(options: PortBoundOptions): PortBoundProcess {
  let current: ManagedProcess | null = null;
  let stopped = false;

  async function start(): Promise<{ process: ManagedProcess; port: number }> {
    let port = Number(options.env[options.variable]);
    for (let attempt = 1; ; attempt++) {
      if (stopped) throw new Error(`${options.name} stopped during start-up`);
      const env = { ...options.env, [options.variable]: String(port), ...options.envFor?.(port) };
      const child = startTsProcess(options.name, options.entry, env, [], { ipc: true });
      current = child;
      const exited = new AbortController();
      void child.exited.then(() => exited.abort());
      try {
        await options.ready(child, exited.signal);
        return { process: child, port };
      } catch (error) {
        if (!exited.signal.aborted) {
          await child.stop();
          throw error;
        }
      }
      const code = await child.exited;
      if (code !== EXIT_ADDRESS_IN_USE || !options.mayMove || attempt >= MAX_ATTEMPTS) {
        throw new Error(
          `${options.name} exited with code ${code} during start-up (see [${options.name}] lines)`,
        );
      }
      const taken = port;
      port = await findFreePort();
      options.say(
        `${options.name}: port ${taken} was taken before it could bind it; starting again on ${port}`,
      );
    }
  }

  return {
    name: options.name,
    started: start(),
    stop: async () => {
      stopped = true;
      await current?.stop();
    },
  };
}

/** Ready when the child reports it listens (IPC from `announceReady`): never another process on that port. */
export function announcedReady(timeoutMs = 120_000) {
  return (child: ManagedProcess, exited: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${child.name} not ready after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const done = (outcome: () => void) => {
        clearTimeout(timer);
        child.child.off('message', onMessage);
        outcome();
      };
      const onMessage = (message: unknown) => {
        if ((message as { socialsyncReady?: unknown } | null)?.socialsyncReady) done(resolve);
      };
      child.child.on('message', onMessage);
      exited.addEventListener('abort', () => done(() => reject(new Error(`${child.name} exited`))), {
        once: true,
      });
    });
}
