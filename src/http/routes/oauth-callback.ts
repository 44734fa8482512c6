import { z } from 'zod';
import { isAppError, type ErrorCode } from '../../errors';
import type { Platform } from '../../platforms/types';
import type { AppContext } from '../context';
import { unavailableDependency } from '../middleware/errors';
import { API_BASE_PATH } from '../openapi/document';
import { defineRoute, type RouteDefinition, type RouteInput } from '../openapi/route';
import { platformParams } from '../schemas';
import type { AccountsService } from '../services/accounts-service';
import { answerCallback, type CallbackOutcome } from './oauth-callback-answer';

/** The redirect URI to register with each platform: `<API base URL>` + this. */
export function oauthCallbackPath(platform: Platform): string {
  return `${API_BASE_PATH}/oauth/${platform}/callback`;
}

/** What the platforms put on the redirect (unknown parameters, e.g. TikTok's `scopes`, are ignored). */
const callbackQuery = z.object({
  code: z.string().min(1).max(4096).optional().describe('the authorization code, on consent'),
  state: z.string().min(1).max(4096).optional().describe('the state from authorize-url, echoed back'),
  error: z.string().max(200).optional().describe("the platform's refusal, e.g. access_denied"),
  error_description: z.string().max(2000).optional().describe('never shown nor logged'),
});

/** Every code `error=` can carry: those of POST /connect, the state's replay, the user's refusal, the limit. */
const CALLBACK_ERRORS: ErrorCode[] = [
  'INVALID_STATE',
  'STATE_ALREADY_USED',
  'CONSENT_DENIED',
  'VALIDATION_FAILED',
  'INVALID_OAUTH_CODE',
  'ACCOUNT_ALREADY_CONNECTED',
  'PLATFORM_ERROR',
  'RATE_LIMIT_EXCEEDED',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
];

const codes = CALLBACK_ERRORS.map((code) => `\`${code}\``).join(', ');

export function oauthCallbackRoutes(
  accounts: AccountsService,
  { returnUrl }: { returnUrl: string | undefined },
): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/oauth/:platform/callback',
      operationId: 'oauthCallback',
      tag: 'accounts',
      summary: "The redirect URI: the platform's consent sends the browser here; connects, then redirects",
      description:
        'Register it as INSTAGRAM_REDIRECT_URI / TIKTOK_REDIRECT_URI. No token comes with a redirect: the signed ' +
        'state (from authorize-url, 10-minute life) names the user, and is good for one exchange. The exchange is ' +
        "POST /accounts/{platform}/connect's: same checks, same errors, same `connection` limit (per user). " +
        "The platform's own refusal (`error=access_denied`) is `CONSENT_DENIED`.",
      auth: 'none',
      rateLimit: 'connection',
      params: platformParams,
      query: callbackQuery,
      success: { status: 302, description: 'Back to CONNECT_RETURN_URL' },
      browser: {
        responses: {
          302: {
            description:
              'CONNECT_RETURN_URL is set: the browser goes back to it, connected or not (never with a token).',
            location:
              'CONNECT_RETURN_URL?status=connected&platform={platform}&accountId={id}, or ' +
              `?status=error&platform={platform}&error={code} with code one of ${codes}`,
          },
          200: { description: 'No CONNECT_RETURN_URL: a page saying the account is connected', html: true },
          '4XX': {
            description: `No CONNECT_RETURN_URL: a page saying what failed, with the status of its code (${codes})`,
            html: true,
          },
          '5XX': {
            description: 'No CONNECT_RETURN_URL: PLATFORM_ERROR (502) or INTERNAL_ERROR (500)',
            html: true,
          },
        },
      },
      errors: CALLBACK_ERRORS,
      handler: async (ctx, input) => {
        const outcome = await completeCallback(ctx, accounts, input);
        answerCallback(ctx, { platform: input.params.platform, outcome, returnUrl });
      },
    }),
  ];
}

type CallbackInput = RouteInput<typeof platformParams, typeof callbackQuery, undefined>;

/** Every failure becomes an outcome: the browser gets a redirect or a page, never the JSON envelope. */
async function completeCallback(
  ctx: AppContext,
  accounts: AccountsService,
  { params, query, withinRateLimit }: CallbackInput,
): Promise<CallbackOutcome> {
  const { platform } = params;
  const { em } = ctx.state;
  try {
    const user = await accounts.stateOwner(em, platform, query.state);
    ctx.state.user = user; // the access log names the user, and the connection limit is per user
    if (query.error) {
      // The state stays unused: the user may go back to the consent screen and allow after all.
      const denied = query.error === 'access_denied';
      return failure(denied ? 'CONSENT_DENIED' : 'PLATFORM_ERROR');
    }
    if (!query.code) return failure('VALIDATION_FAILED');
    if (!(await withinRateLimit())) return failure('RATE_LIMIT_EXCEEDED');
    const { account } = await accounts.connect(em, user, platform, { code: query.code, state: query.state! });
    return { status: 'connected', accountId: account.id, username: account.username };
  } catch (error) {
    if (isAppError(error)) return failure(error.code);
    // PostgreSQL or Temporal down: the user can simply come back (the state stays unused if nothing was
    // stored). Name and code only: a driver's message quotes the failed SQL with its values.
    const dependency = unavailableDependency(error);
    if (dependency) {
      const { name, code } = error as { name?: unknown; code?: unknown };
      ctx.state.log.warn({ dependency, err: { name, code } }, 'oauth callback: dependency unavailable');
      return failure('SERVICE_UNAVAILABLE');
    }
    ctx.state.log.error({ err: error }, 'oauth callback failed');
    return failure('INTERNAL_ERROR');
  }
}

function failure(error: ErrorCode): CallbackOutcome {
  return { status: 'error', error };
}
