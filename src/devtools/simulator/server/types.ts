import type { IncomingHttpHeaders } from 'node:http';
import type { Platform } from '../../../platforms/types';
import type { AccountStore } from '../accounts/store';
import type { SimClock } from '../core/clock';
import type { EndpointFamily, EndpointId } from '../core/endpoints';
import type { FaultInjector } from '../core/faults';
import type { SimulatorSettings } from '../core/options';
import type { QuotaBook } from '../core/quotas';
import type { Random } from '../core/random';
import type { Outcome, RequestLog } from '../core/request-log';
import type { InstagramTokenStore } from '../instagram/tokens';
import type { TikTokTokenStore } from '../tiktok/tokens';

export interface SimulatorUrls {
  instagramGraphUrl: string;
  instagramOauthUrl: string;
  instagramAuthorizeUrl: string;
  tiktokApiUrl: string;
  tiktokAuthorizeUrl: string;
  controlUrl: string;
}

/** Everything the simulated platforms share; one per simulator. */
export interface SimState {
  settings: SimulatorSettings;
  clock: SimClock;
  accounts: AccountStore;
  instagramTokens: InstagramTokenStore;
  tiktokTokens: TikTokTokenStore;
  quotas: QuotaBook;
  faults: FaultInjector;
  log: RequestLog;
  random: Random;
  /** Known once listening: paging.next and redirects need absolute URLs. */
  urls: SimulatorUrls | null;
}

export interface SimRequest {
  method: string;
  /** Path inside the simulated host: mount point and Graph version removed. */
  path: string;
  /** The Graph version prefix as sent (`/v25.0`), or ''. */
  version: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface SimReply {
  status: number;
  headers?: Record<string, string>;
  body: string;
  outcome: Outcome;
}

export interface SimRoute {
  endpoint: EndpointId;
  family: EndpointFamily;
  /** Instagram data calls draw on BUC budgets; TikTok Display API calls on the per-endpoint window. */
  quota: Platform | null;
  /** The account the request acts for (owner of its token, code or refresh token); no side effects. */
  identify(req: SimRequest): string | null;
  handle(req: SimRequest): SimReply;
}
