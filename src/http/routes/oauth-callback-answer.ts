import { ERROR_CATALOGUE, type ErrorCode } from '../../errors';
import type { Platform } from '../../platforms/types';
import type { AppContext } from '../context';

export type CallbackOutcome =
  { status: 'connected'; accountId: string; username: string } | { status: 'error'; error: ErrorCode };

const PLATFORM_NAMES: Record<Platform, string> = { instagram: 'Instagram', tiktok: 'TikTok' };

/** What the page says for each code the callback can end with; the code itself is shown too. */
const EXPLANATIONS: Partial<Record<ErrorCode, (platform: string) => string>> = {
  INVALID_STATE: () => 'The link is invalid or older than 10 minutes. Start again from the app.',
  STATE_ALREADY_USED: () => 'This link was already used. Start again from the app.',
  CONSENT_DENIED: (platform) => `You declined on ${platform}: nothing was connected.`,
  VALIDATION_FAILED: (platform) => `${platform} sent the browser back without a code.`,
  INVALID_OAUTH_CODE: (platform) => `${platform} refused the authorization. Start again from the app.`,
  ACCOUNT_ALREADY_CONNECTED: (platform) => `This ${platform} account is already connected to another user.`,
  PLATFORM_ERROR: (platform) => `${platform} did not answer as expected. Try again later.`,
  RATE_LIMIT_EXCEEDED: () => 'Too many connections for now. Try again later.',
  SERVICE_UNAVAILABLE: () => 'We cannot complete the connection right now. Try again in a few minutes.',
};

/**
 * The browser's answer: back to the app's CONNECT_RETURN_URL with the outcome in the query, or without one a
 * page saying it. Neither carries a token, the code or the state; `no-store` keeps them out of caches and
 * `no-referrer` keeps this URL (code and state in its query) out of the next page's Referer.
 */
export function answerCallback(
  ctx: AppContext,
  { platform, outcome, returnUrl }: { platform: Platform; outcome: CallbackOutcome; returnUrl?: string },
): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.state.log.info(
    {
      platform,
      outcome: outcome.status,
      ...(outcome.status === 'connected' ? { accountId: outcome.accountId } : { error: outcome.error }),
    },
    'oauth callback answered',
  );
  if (returnUrl) {
    ctx.redirect(returnTo(returnUrl, platform, outcome));
    return;
  }
  ctx.set('Content-Security-Policy', "default-src 'none'; base-uri 'none'; form-action 'none'");
  ctx.type = 'text/html; charset=utf-8';
  ctx.status = outcome.status === 'connected' ? 200 : ERROR_CATALOGUE[outcome.error];
  ctx.body = page(PLATFORM_NAMES[platform], outcome);
}

function returnTo(returnUrl: string, platform: Platform, outcome: CallbackOutcome): string {
  const target = new URL(returnUrl);
  target.searchParams.set('status', outcome.status);
  target.searchParams.set('platform', platform);
  if (outcome.status === 'connected') target.searchParams.set('accountId', outcome.accountId);
  else target.searchParams.set('error', outcome.error);
  return target.toString();
}

function page(platform: string, outcome: CallbackOutcome): string {
  const [title, text] =
    outcome.status === 'connected'
      ? [`${platform} account connected`, `@${outcome.username} is now connected. You can close this window.`]
      : [
          `${platform} account not connected`,
          `${(EXPLANATIONS[outcome.error] ?? (() => 'Something went wrong on our side.'))(platform)} ` +
            `(error ${outcome.error})`,
        ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><h1>${escape(title)}</h1><p>${escape(text)}</p></body></html>
`;
}

function escape(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
