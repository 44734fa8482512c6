import { z } from 'zod';
import type { AppContext } from '../context';
import { defineRoute, type RouteDefinition } from '../openapi/route';
import { presentAccount, presentHistoryDay, presentPost } from '../presenters';
import { accountSchema, historyDaySchema, idParams, platformParams, postSchema } from '../schemas';
import type { AccountsService } from '../services/accounts-service';
import { listHistory, listOwnAccounts, listPosts } from '../services/account-data';
import { connectBody, historyQuery, postsQuery } from './accounts.schemas';
import { CONNECT_EXAMPLES } from './examples';

const OWN_ONLY = "Only the caller's own accounts; another user's account id answers 404.";

export function accountRoutes(accounts: AccountsService): RouteDefinition[] {
  const user = (ctx: AppContext) => ctx.state.user!;
  return [
    defineRoute({
      method: 'get',
      path: '/accounts/:platform/authorize-url',
      operationId: 'getAuthorizeUrl',
      tag: 'accounts',
      summary: "The platform's consent URL and a signed state (10-minute life)",
      auth: 'user',
      params: platformParams,
      success: {
        status: 200,
        description: 'Send the user to url',
        schema: z.object({ url: z.string(), state: z.string() }),
      },
      errors: ['UNAUTHENTICATED', 'VALIDATION_FAILED'],
      handler: async (ctx, { params }) => accounts.authorizeUrl(user(ctx), params.platform),
    }),
    defineRoute({
      method: 'post',
      path: '/accounts/:platform/connect',
      operationId: 'connectAccount',
      tag: 'accounts',
      summary: 'Exchange the OAuth code and store the account (tokens encrypted)',
      description:
        'For clients that take the redirect themselves (GET /oauth/{platform}/callback does it for browsers). ' +
        'A state is good for one exchange, whatever its outcome. Reconnecting your own account replaces its ' +
        'tokens and makes it active again.',
      auth: 'user',
      rateLimit: 'connection',
      params: platformParams,
      body: connectBody,
      success: {
        status: 201,
        description: 'Connected',
        schema: z.object({ account: accountSchema, reconnected: z.boolean() }),
      },
      examples: CONNECT_EXAMPLES,
      errors: [
        'UNAUTHENTICATED',
        'VALIDATION_FAILED',
        'INVALID_JSON',
        'INVALID_STATE',
        'STATE_ALREADY_USED',
        'INVALID_OAUTH_CODE',
        'ACCOUNT_ALREADY_CONNECTED',
        'PLATFORM_ERROR',
      ],
      handler: async (ctx, { params, body }) => {
        const { account, created } = await accounts.connect(ctx.state.em, user(ctx), params.platform, body);
        return { account: presentAccount(account), reconnected: !created };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/accounts',
      operationId: 'listAccounts',
      tag: 'accounts',
      summary: 'Your connected accounts (disconnected ones included, with that status)',
      auth: 'user',
      success: {
        status: 200,
        description: 'Accounts',
        schema: z.object({ accounts: z.array(accountSchema) }),
      },
      errors: ['UNAUTHENTICATED'],
      handler: async (ctx) => ({
        accounts: (await listOwnAccounts(ctx.state.em, user(ctx).id)).map(presentAccount),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/accounts/:id',
      operationId: 'getAccount',
      tag: 'accounts',
      summary: 'One account: status, counters, engagement rate, last sync, token expiry (never a token)',
      description: OWN_ONLY,
      auth: 'user',
      params: idParams,
      success: { status: 200, description: 'Account', schema: z.object({ account: accountSchema }) },
      errors: ['UNAUTHENTICATED', 'VALIDATION_FAILED', 'NOT_FOUND'],
      handler: async (ctx, { params }) => ({
        account: presentAccount(await accounts.findOwn(ctx.state.em, user(ctx), params.id)),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/accounts/:id/posts',
      operationId: 'listPosts',
      tag: 'accounts',
      summary: 'Posts and videos, newest first, cursor-paginated',
      description: OWN_ONLY,
      auth: 'user',
      params: idParams,
      query: postsQuery,
      success: {
        status: 200,
        description: 'A page of posts',
        schema: z.object({ posts: z.array(postSchema), nextCursor: z.string().nullable() }),
      },
      errors: ['UNAUTHENTICATED', 'VALIDATION_FAILED', 'NOT_FOUND'],
      handler: async (ctx, { params, query }) => {
        const account = await accounts.findOwn(ctx.state.em, user(ctx), params.id);
        const page = await listPosts(ctx.state.em, account, query);
        return { posts: page.posts.map(presentPost), nextCursor: page.nextCursor };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/accounts/:id/history',
      operationId: 'getAccountHistory',
      tag: 'accounts',
      summary: 'One entry per UTC day (followers, engagement, ...), oldest first; days without data say so',
      description:
        `${OWN_ONLY} The \`days\` days ending today (UTC), from the account's connection day on: each entry is ` +
        "that day's snapshot (`missing: false`) or `{ date, day, missing: true }` when nothing was stored.",
      auth: 'user',
      params: idParams,
      query: historyQuery,
      success: {
        status: 200,
        description: 'Days',
        schema: z.object({
          from: z.string().describe('first day listed (YYYY-MM-DD)'),
          to: z.string().describe('today (YYYY-MM-DD, UTC)'),
          snapshots: z.array(historyDaySchema).describe('one entry per day from `from` to `to`'),
        }),
      },
      errors: ['UNAUTHENTICATED', 'VALIDATION_FAILED', 'NOT_FOUND'],
      handler: async (ctx, { params, query }) => {
        const account = await accounts.findOwn(ctx.state.em, user(ctx), params.id);
        const history = await listHistory(ctx.state.em, account, query.days);
        return { from: history.from, to: history.to, snapshots: history.days.map(presentHistoryDay) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/accounts/:id',
      operationId: 'disconnectAccount',
      tag: 'accounts',
      summary: 'Disconnect: tokens erased, status `disconnected`; posts and history are kept',
      description: `${OWN_ONLY} Connect again to resume; the account stays yours (another user connecting it gets 409).`,
      auth: 'user',
      params: idParams,
      success: { status: 200, description: 'Disconnected', schema: z.object({ account: accountSchema }) },
      errors: ['UNAUTHENTICATED', 'VALIDATION_FAILED', 'NOT_FOUND'],
      handler: async (ctx, { params }) => ({
        account: presentAccount(await accounts.disconnect(ctx.state.em, user(ctx), params.id)),
      }),
    }),
  ];
}
