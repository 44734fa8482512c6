import type { Platform } from '../../../platforms/types';
import { isEndpointId } from '../core/endpoints';
import { SimulatorError } from '../core/errors';
import type { ControlHandler } from '../server/listener';
import type { SimulatorControl } from './control';

type Body = Record<string, unknown>;
type Params = string[];
type Handler = (params: Params, body: Body, query: URLSearchParams) => unknown;

const ACCOUNT = '/accounts/(instagram|tiktok)/([^/]+)';

/**
 * The control surface over HTTP, for a benchmark or the dev stack in another process. JSON in and out,
 * dates as ISO strings. Every route maps onto one SimulatorControl method (see the report for the list).
 */
export function createControlHandler(control: SimulatorControl, describe: () => unknown): ControlHandler {
  const routes: [string, RegExp, Handler][] = [
    ['GET', /^\/state$/, () => describe()],
    ['POST', /^\/reset$/, () => control.reset()],
    ['GET', /^\/clock$/, () => ({ now: control.now() })],
    ['POST', /^\/clock$/, (_p, b) => ({ now: moveClock(control, b) })],
    ['PUT', /^\/config$/, (_p, b) => control.configure(b)],
    ['PUT', /^\/quotas$/, (_p, b) => control.setQuotas(b)],
    ['DELETE', /^\/quotas\/windows$/, () => control.resetQuotaWindows()],
    ['PUT', /^\/faults$/, (_p, b) => control.setFaults(b)],
    ['DELETE', /^\/faults$/, () => control.clearFaults()],
    [
      'POST',
      /^\/throttle$/,
      (_p, b) => control.throttleEndpoints(endpointList(b.endpoints), { ...b, forMs: num(b.forMs, 'forMs') }),
    ],
    [
      'POST',
      /^\/accounts\/seed$/,
      (_p, b) => control.seedAccounts(num(b.countPerPlatform, 'countPerPlatform')),
    ],
    ['GET', /^\/accounts\/(instagram|tiktok)$/, (p, _b, q) => control.listAccounts(platform(p[0]), page(q))],
    ['POST', /^\/accounts\/(instagram|tiktok)$/, (p, b) => control.addAccount(platform(p[0]), b)],
    ['GET', new RegExp(`^${ACCOUNT}$`), (p) => control.getAccount(platform(p[0]), p[1])],
    ['PATCH', new RegExp(`^${ACCOUNT}$`), (p, b) => control.updateAccount(platform(p[0]), p[1], b)],
    ['GET', new RegExp(`^${ACCOUNT}/posts$`), (p) => control.listPosts(platform(p[0]), p[1])],
    ['POST', new RegExp(`^${ACCOUNT}/posts$`), (p, b) => control.addPost(platform(p[0]), p[1], withDates(b))],
    [
      'PATCH',
      new RegExp(`^${ACCOUNT}/posts/([^/]+)$`),
      (p, b) => control.updatePost(platform(p[0]), p[1], p[2], b),
    ],
    [
      'DELETE',
      new RegExp(`^${ACCOUNT}/posts/([^/]+)$`),
      (p) => control.deletePost(platform(p[0]), p[1], p[2]),
    ],
    ['POST', new RegExp(`^${ACCOUNT}/auth-code$`), (p, b) => control.issueAuthCode(platform(p[0]), p[1], b)],
    [
      'POST',
      new RegExp(`^${ACCOUNT}/tokens$`),
      (p, b) => control.issueTokens(platform(p[0]), p[1], withDates(b)),
    ],
    [
      'POST',
      new RegExp(`^${ACCOUNT}/invalidate$`),
      (p, b) => control.invalidateTokens(platform(p[0]), p[1], String(b.reason)),
    ],
    [
      'POST',
      new RegExp(`^${ACCOUNT}/fail-next$`),
      (p, b) => control.failNextCalls(platform(p[0]), p[1], num(b.count, 'count'), b),
    ],
    [
      'POST',
      /^\/tokens\/(instagram|tiktok)$/,
      (p, b) => control.issueTokensForAccounts(platform(p[0]), withDates(b)),
    ],
    [
      'POST',
      /^\/tokens\/(instagram|tiktok)\/revoke$/,
      (p, b) => control.revokeToken(platform(p[0]), String(b.token), b.reason as string),
    ],
    ['GET', /^\/requests$/, (_p, _b, q) => control.requestLog({ accounts: q.get('accounts') !== 'false' })],
    ['GET', /^\/requests\/endpoints\/([^/]+)$/, (p) => control.endpointStats(endpoint(p[0]))],
    ['GET', new RegExp(`^/requests${ACCOUNT}$`), (p) => control.accountStats(platform(p[0]), p[1])],
    ['DELETE', /^\/requests$/, () => control.clearRequestLog()],
  ];

  return async (method, path, query, rawBody) => {
    try {
      const body = parseBody(rawBody);
      for (const [routeMethod, pattern, handler] of routes) {
        const match = routeMethod === method ? pattern.exec(path) : null;
        if (match)
          return {
            status: 200,
            body: (await handler(match.slice(1).map(decodeURIComponent), body, query)) ?? { ok: true },
          };
      }
      return { status: 404, body: { error: `no control route ${method} ${path}` } };
    } catch (error) {
      const status = error instanceof SimulatorError ? error.status : 400;
      return { status, body: { error: error instanceof Error ? error.message : String(error) } };
    }
  };
}

function moveClock(control: SimulatorControl, body: Body): Date {
  if (typeof body.advanceMs === 'number') return control.advanceClock(body.advanceMs);
  if (typeof body.set === 'string') return control.setClock(date(body.set));
  throw new SimulatorError('send {"advanceMs": number} or {"set": ISO date}');
}

function parseBody(raw: Buffer): Body {
  const text = raw.toString('utf8').trim();
  if (!text) return {};
  const parsed: unknown = JSON.parse(text);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new SimulatorError('body must be a JSON object');
  return parsed as Body;
}

/** issuedAt / publishedAt arrive as ISO strings. */
function withDates<T extends Body>(body: T): T {
  const out: Body = { ...body };
  for (const key of ['issuedAt', 'publishedAt'])
    if (typeof out[key] === 'string') out[key] = date(out[key] as string);
  return out as T;
}

function date(value: string): Date {
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new SimulatorError(`not a date: ${value}`);
  return parsed;
}

function num(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new SimulatorError(`${name} must be a number`);
  return value;
}

function platform(value: string): Platform {
  return value as Platform;
}

function endpoint(value: string) {
  if (!isEndpointId(value)) throw new SimulatorError(`unknown endpoint ${value}`, 404);
  return value;
}

function page(query: URLSearchParams): { offset?: number; limit?: number } {
  const offset = query.get('offset');
  const limit = query.get('limit');
  return { offset: offset ? Number(offset) : undefined, limit: limit ? Number(limit) : undefined };
}

function endpointList(value: unknown) {
  if (!Array.isArray(value) || value.length === 0)
    throw new SimulatorError('endpoints must be a non-empty array of endpoint ids');
  return value.map((id) => endpoint(String(id)));
}
