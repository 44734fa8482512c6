import type { Platform, SyncAccountProgress, SyncAccountResult } from './shared';
import { notifyAccountReauthRequired } from './notify';
import { refreshAccountTokenDurably } from './refresh-account';

/**
 * The token side of one account's sync loop (sync-account-steps.ts): refreshing a token the sync found
 * about to expire or refused, through the serialized refresh path, and notifying the owner when only a
 * re-authorisation can help.
 */

/** What the token steps read of the sync loop's options. */
export interface TokenStepOptions {
  accountId: string;
  onStage?: (stage: SyncAccountProgress['stage'], rateLimitedUntil: string | null) => void;
}

/** The sync loop's state the token steps read and change. */
export interface TokenStepState {
  platform: Platform | undefined;
  /** The token was just refreshed (or found fresh): later sync attempts skip the expiry check. */
  skipTokenCheck: boolean;
  /** TikTok gets one forced refresh per sync after an auth refusal. */
  forcedRefreshDone: boolean;
}

/** null: sync again now; otherwise the account's final result. */
export async function refreshBeforeSync(
  options: TokenStepOptions,
  state: TokenStepState,
  marginMinutes: number,
): Promise<SyncAccountResult | null> {
  options.onStage?.('refreshing_token', null);
  const refresh = await refreshAccountTokenDurably({
    accountId: options.accountId,
    trigger: 'jit',
    onlyIfExpiresWithinMinutes: marginMinutes,
  });
  if (refresh.outcome === 'reauth_required' || refresh.outcome === 'expired') {
    return {
      accountId: options.accountId,
      platform: state.platform,
      outcome: 'reauth_required',
      errorCode: refresh.errorCode,
    };
  }
  // Refreshed, not due (someone just did it), or failed while the token still lives a few minutes: sync now.
  state.skipTokenCheck = true;
  return null;
}

/**
 * TikTok access tokens live hours and can die early: one forced refresh through the serialized refresh path,
 * then the sync again; still refused (or Instagram, whose token cannot be refreshed once invalid) ->
 * reauth_required and the owner notified, through the refresh issue's path.
 */
export async function handleAuthRevoked(
  options: TokenStepOptions,
  state: TokenStepState,
  platform: Platform,
  errorCode: string,
): Promise<SyncAccountResult | null> {
  const { accountId } = options;
  if (platform === 'tiktok' && !state.forcedRefreshDone && errorCode !== 'TOKEN_MISSING') {
    state.forcedRefreshDone = true;
    options.onStage?.('refreshing_token', null);
    const refresh = await refreshAccountTokenDurably({ accountId, trigger: 'jit' });
    if (refresh.outcome === 'refreshed') {
      state.skipTokenCheck = true;
      return null;
    }
    if (refresh.outcome === 'reauth_required' || refresh.outcome === 'expired')
      return { accountId, platform, outcome: 'reauth_required', errorCode: refresh.errorCode ?? errorCode };
    if (refresh.outcome === 'failed')
      return { accountId, platform, outcome: 'failed', errorCode: refresh.errorCode ?? errorCode };
  }
  options.onStage?.('notifying', null);
  await notifyAccountReauthRequired(accountId, errorCode);
  return { accountId, platform, outcome: 'reauth_required', errorCode };
}
