import type { AccountStatus } from '../../db/entities';
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
): Promise<{ id: string; platform: Platform; status: AccountStatus }> {
  const user = ctx.state.user;
  if (!user && !target.accountId) {
    throw new AppError('VALIDATION_FAILED', 'Invalid input: body.accountId.', [
      { field: 'body.accountId', message: 'is required for X-Cron-Secret callers' },
    ]);
  }
  // The query builder, not em.findOne: a sync request waits on this and on the start, nothing else.
  const query = ctx.state.em
    .getKnex()('social_accounts')
    .select('id', 'platform', 'status')
    .where({ platform })
    .whereNot({ status: 'disconnected' })
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .first();
  if (target.accountId) query.andWhere({ id: target.accountId });
  if (user) query.andWhere({ owner_id: user.id });
  const account: { id: string; platform: Platform; status: AccountStatus } | undefined = await query;
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
    user && accountId
      ? await ctx.state.em
          .getKnex()('social_accounts')
          .first('id')
          .where({ id: accountId, owner_id: user.id })
      : undefined;
  if (!owned) throw new AppError('NOT_FOUND', 'No such workflow.');
  return view;
}
