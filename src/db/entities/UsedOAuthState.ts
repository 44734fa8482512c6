import { Entity, Index, PrimaryKey, Property, type Opt } from '@mikro-orm/core';

/**
 * OAuth states already presented for an exchange (to the browser callback or to POST /connect): a state is
 * good for one. PostgreSQL rather than Redis because every connect writes here anyway, while the API runs
 * without Redis (in-process limiters) and its limiter client fails open: a replay guard must not weaken when
 * Redis does. The primary key makes the claim atomic across API processes.
 */
@Entity({ tableName: 'used_oauth_states' })
@Index({ properties: ['expiresAt'] })
export class UsedOAuthState {
  /** The state's `nonce` claim: a UUID drawn for each state. */
  @PrimaryKey({ type: 'uuid' })
  nonce!: string;

  /** The state's own expiry (10 minutes after issue): past it the signature check refuses the state anyway. */
  @Property({ type: 'datetime', columnType: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  usedAt: Opt<Date> = new Date();
}
