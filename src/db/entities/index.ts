import { AccountSnapshot } from './AccountSnapshot';
import { Notification } from './Notification';
import { OutboxEvent } from './OutboxEvent';
import { Post } from './Post';
import { SocialAccount } from './SocialAccount';
import { TokenRefreshAttempt } from './TokenRefreshAttempt';
import { UsedOAuthState } from './UsedOAuthState';
import { User } from './User';

export * from './AccountSnapshot';
export * from './Notification';
export * from './OutboxEvent';
export * from './Post';
export * from './SocialAccount';
export * from './TokenRefreshAttempt';
export * from './UsedOAuthState';
export * from './User';

export const ENTITIES = [
  User,
  SocialAccount,
  AccountSnapshot,
  Post,
  Notification,
  TokenRefreshAttempt,
  UsedOAuthState,
  OutboxEvent,
];
