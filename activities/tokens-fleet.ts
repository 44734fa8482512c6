import type { Platform } from '../src/db/entities';
import type { RefreshFleetCursor } from '../workflows/shared';
import type { ActivityDeps } from './index';

export interface RefreshFleetSettings {
  windowDays: number;
  concurrency: number;
  spacingMs: number;
}

export interface FindAccountsDueForRefreshInput {
  /** ISO; accounts whose access token expires before it are due. Omitted: now + windowDays (first page). */
  cutoff?: string;
  windowDays: number;
  after: RefreshFleetCursor | null;
  limit: number;
}

export interface DueAccount {
  id: string;
  platform: Platform;
  accessExpiresAt: string;
}

export interface FindAccountsDueForRefreshResult {
  cutoff: string;
  /** The activities' clock now. */
  asOf: string;
  accounts: DueAccount[];
}

type Deps = Pick<ActivityDeps, 'config' | 'orm' | 'now'>;

export function createTokenFleetActivities(deps: Deps) {
  const clock = deps.now ?? (() => new Date());

  /** The configured defaults, read by a fleet run once (a workflow cannot read configuration). */
  async function getRefreshFleetSettings(): Promise<RefreshFleetSettings> {
    const { windowDays, concurrency, spacingMs } = deps.config.refresh;
    return { windowDays, concurrency, spacingMs };
  }

  /**
   * One page of active accounts due for a refresh (ids and platform only), in id order after the cursor, so
   * an account is handed out at most once per run whatever its refresh does to its expiry.
   */
  async function findAccountsDueForRefresh(
    input: FindAccountsDueForRefreshInput,
  ): Promise<FindAccountsDueForRefreshResult> {
    const now = clock();
    const cutoff = input.cutoff
      ? new Date(input.cutoff)
      : new Date(now.getTime() + input.windowDays * 86_400_000);
    const rows = await deps.orm.em
      .fork()
      .execute<Array<{ id: string; platform: Platform; accessExpiresAt: Date }>>(
        `select id, platform, access_expires_at as "accessExpiresAt" from social_accounts
       where status = 'active' and access_expires_at < ?
       ${input.after ? 'and id > ?::uuid' : ''}
       order by id limit ?`,
        [cutoff, ...(input.after ? [input.after.id] : []), input.limit],
      );
    return {
      cutoff: cutoff.toISOString(),
      asOf: now.toISOString(),
      accounts: rows.map((row) => ({
        id: row.id,
        platform: row.platform,
        accessExpiresAt: new Date(row.accessExpiresAt).toISOString(),
      })),
    };
  }

  return { getRefreshFleetSettings, findAccountsDueForRefresh };
}
