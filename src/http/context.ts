import type { EntityManager } from '@mikro-orm/postgresql';
import type { RouterContext } from '@koa/router';
import type { Logger } from 'pino';
import type { UserRole } from '../db/entities';

export interface AuthenticatedUser {
  id: string;
  email: string;
  role: UserRole;
}

/** What middleware puts on `ctx.state` for the handlers after it. */
export interface AppState {
  requestId: string;
  /** pino child logger carrying the request id. */
  log: Logger;
  /** The client address after TRUST_PROXY is applied (see middleware/client-ip.ts). */
  clientIp: string;
  /** One EntityManager per request (MikroORM refuses the global one: allowGlobalContext is false). */
  em: EntityManager;
  /** Set by the authentication middleware for Bearer callers. */
  user?: AuthenticatedUser;
  /** Set when the caller proved the X-Cron-Secret. */
  cron?: boolean;
}

export type AppContext = RouterContext<AppState>;
