import type { z } from 'zod';
import type { Config } from '../../config';
import { malformedError, type Transport } from '../http';
import type { PlatformResult } from '../types';
import { callInstagram } from './request';

export type InstagramSettings = Config['instagram'];

/** What every Instagram call needs; built once per client. */
export interface InstagramContext {
  settings: InstagramSettings;
  transport: Transport;
  now: () => Date;
}

/** The token goes in the query string, as in every Meta example (docs/platforms.md#instagram-hosts-and-versions): such URLs are never logged. */
export function graphUrl(
  ctx: InstagramContext,
  path: string,
  accessToken: string,
  params: Record<string, string>,
) {
  const query = new URLSearchParams({ ...params, access_token: accessToken });
  return `${ctx.settings.graphUrl}/${ctx.settings.apiVersion}${path}?${query}`;
}

/**
 * `paging.next` is absolute. It is followed as is when it points at the configured Graph host; otherwise
 * (a proxy, a rewritten host) its query is replayed against our own host, so the token never travels
 * anywhere else.
 */
export function ownGraphUrl(ctx: InstagramContext, next: string, path: string, accessToken: string): string {
  if (next.startsWith(`${ctx.settings.graphUrl}/`)) return next;
  if (!URL.canParse(next)) throw malformedError('instagram', `GET ${path}`, 'paging.next is not a URL');
  return graphUrl(ctx, path, accessToken, Object.fromEntries(new URL(next).searchParams));
}

export function graphGet<T extends z.ZodType>(
  ctx: InstagramContext,
  path: string,
  schema: T,
  accessToken: string,
  params: Record<string, string>,
): Promise<PlatformResult<z.output<T>>> {
  return fetchGraph(ctx, `GET ${path}`, graphUrl(ctx, path, accessToken, params), schema, accessToken);
}

export function fetchGraph<T extends z.ZodType>(
  ctx: InstagramContext,
  endpoint: string,
  url: string,
  schema: T,
  accessToken: string,
): Promise<PlatformResult<z.output<T>>> {
  const call = { endpoint, url, method: 'GET' as const, secrets: [accessToken] };
  return callInstagram(ctx.transport, ctx.now, call, schema);
}
