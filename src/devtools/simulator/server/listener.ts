import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InstagramRoutes } from '../instagram';
import type { TikTokRoutes } from '../tiktok';
import { MOUNTS } from './mounts';
import { runPipeline } from './pipeline';
import type { Sleeper } from './sleeper';
import type { SimRequest, SimRoute, SimState } from './types';

const MAX_BODY_BYTES = 1024 * 1024;
const GRAPH_VERSION = /^\/v\d+\.\d+(?=\/)/;

export type ControlHandler = (
  method: string,
  path: string,
  query: URLSearchParams,
  body: Buffer,
) => Promise<{ status: number; body: unknown }>;

export interface Hosts {
  instagram: InstagramRoutes;
  tiktok: TikTokRoutes;
  control: ControlHandler;
}

export function createListener(state: SimState, hosts: Hosts, sleeper: Sleeper) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(state, hosts, sleeper, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ simulator_error: error instanceof Error ? error.message : String(error) }));
    });
  };
}

async function handle(
  state: SimState,
  hosts: Hosts,
  sleeper: Sleeper,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const url = new URL(req.url ?? '/', 'http://simulator.local');
  const body = await readBody(req);
  if (body === null)
    return send(res, 413, { 'content-type': 'application/json' }, '{"simulator_error":"body too large"}');
  const method = req.method ?? 'GET';
  if (url.pathname.startsWith(`${MOUNTS.control}/`) || url.pathname === MOUNTS.control) {
    const answer = await hosts.control(
      method,
      url.pathname.slice(MOUNTS.control.length) || '/',
      url.searchParams,
      body,
    );
    return send(res, answer.status, { 'content-type': 'application/json' }, JSON.stringify(answer.body));
  }
  const routed = route(hosts, method, url, req, body);
  if (!routed)
    return send(
      res,
      404,
      { 'content-type': 'application/json' },
      '{"simulator_error":"no such simulated endpoint"}',
    );
  const reply = await runPipeline(state, routed.route, routed.request, sleeper);
  if (!reply) return void res.destroy();
  send(res, reply.status, reply.headers ?? {}, reply.body);
}

function route(
  hosts: Hosts,
  method: string,
  url: URL,
  req: IncomingMessage,
  body: Buffer,
): { route: SimRoute; request: SimRequest } | null {
  const request = (path: string, version = ''): SimRequest => ({
    method,
    path,
    version,
    query: url.searchParams,
    headers: req.headers,
    body,
  });
  const [mount, rest] = splitMount(url.pathname);
  switch (mount) {
    case MOUNTS.instagramGraph: {
      const version = GRAPH_VERSION.exec(rest)?.[0] ?? '';
      const sim = request(rest.slice(version.length), version);
      return { route: hosts.instagram.graph(sim.path), request: sim };
    }
    case MOUNTS.instagramApi:
    case MOUNTS.instagramWww: {
      const found =
        mount === MOUNTS.instagramApi ? hosts.instagram.oauth(rest) : hosts.instagram.dialog(rest);
      return found ? { route: found, request: request(rest) } : null;
    }
    case MOUNTS.tiktokApi: {
      const sim = request(rest);
      return { route: hosts.tiktok.api(sim), request: sim };
    }
    case MOUNTS.tiktokWww: {
      const found = hosts.tiktok.dialog(rest);
      return found ? { route: found, request: request(rest) } : null;
    }
    default:
      return null;
  }
}

function splitMount(pathname: string): [string, string] {
  const second = pathname.indexOf('/', pathname.indexOf('/', 1) + 1);
  if (second < 0) return [pathname, '/'];
  return [pathname.slice(0, second), pathname.slice(second)];
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.destroyed) return;
  res.writeHead(status, headers);
  res.end(body);
}
