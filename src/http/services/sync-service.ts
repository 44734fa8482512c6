import type { EntityManager } from '@mikro-orm/postgresql';
import { SocialAccount } from '../../db/entities';
import type { Platform } from '../../platforms/types';
import { AppError } from '../../errors';
import type { WorkflowClient, WorkflowStatusView } from '../../temporal/workflow-client';
import type { AppContext } from '../context';
import { idSchema } from '../schemas';

export interface SyncTarget {
  accountId?: string;
}

/**
 * Which account a sync request means: the given `accountId` (it must be the caller's, on that platform), or
 * the caller's most recently connected account on the platform. Cron callers must name the account.
 */
export async function findAccountToSync(
  ctx: AppContext,
  platform: Platform,
  target: SyncTarget,
): Promise<SocialAccount> {
  const em: EntityManager = ctx.state.em;
  const user = ctx.state.user;
  if (!user && !target.accountId) {
    throw new AppError('VALIDATION_FAILED', 'Invalid input: body.accountId.', [
      { field: 'body.accountId', message: 'is required for X-Cron-Secret callers' },
    ]);
  }
  const where = {
    platform,
    status: { $ne: 'disconnected' as const },
    ...(target.accountId ? { id: target.accountId } : {}),
    ...(user ? { owner: user.id } : {}),
  };
  const account = await em.findOne(SocialAccount, where, { orderBy: { createdAt: 'desc', id: 'desc' } });
  if (!account) throw new AppError('NOT_FOUND', `No connected ${platform} account.`);
  if (account.status !== 'active') {
    throw new AppError('REAUTH_REQUIRED', `The ${platform} account needs to be connected again.`, {
      accountId: account.id,
      status: account.status,
    });
  }
  return account;
}

/**
 * Users see workflows of their own accounts only (by the AccountId search attribute); admins and cron callers
 * see all. Anything else is a 404, so ids of other users' workflows cannot be probed.
 */
export async function findVisibleWorkflow(
  ctx: AppContext,
  workflows: WorkflowClient,
  workflowId: string,
): Promise<WorkflowStatusView> {
  const view = await workflows.describe(workflowId);
  if (!view) throw new AppError('NOT_FOUND', 'No such workflow.');
  const user = ctx.state.user;
  if (ctx.state.cron || user?.role === 'admin') return view;
  const accountId = idSchema.safeParse(view.accountId).success ? view.accountId : null;
  const owned =
    user && accountId ? await ctx.state.em.count(SocialAccount, { id: accountId, owner: user.id }) : 0;
  if (!owned) throw new AppError('NOT_FOUND', 'No such workflow.');
  return view;
}
