import type { AccountSnapshot, Notification, Post, User } from '../db/entities';
import type { StartedWorkflow } from '../temporal/workflow-client';
import { API_BASE_PATH } from './openapi/document';
import { dayString, type AccountView, type HistoryDay } from './services/account-data';

/** Entity -> JSON shapes of schemas.ts. Accounts never carry a token, encrypted or not. */

export function presentUser(user: User) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    verified: user.verified,
    createdAt: user.createdAt.toISOString(),
  };
}

export function presentAccount(account: AccountView) {
  return {
    id: account.id,
    platform: account.platform,
    externalId: account.externalId,
    username: account.username,
    displayName: account.displayName ?? null,
    status: account.status,
    followers: account.followers,
    following: account.following,
    mediaCount: account.mediaCount,
    engagementRate: account.engagementRate,
    lastSyncedAt: iso(account.lastSyncedAt),
    lastRefreshedAt: iso(account.lastRefreshedAt),
    tokenExpiresAt: iso(account.accessExpiresAt),
    lastErrorCode: account.lastErrorCode ?? null,
    connectedAt: account.createdAt.toISOString(),
  };
}

export function presentPost(post: Post) {
  return {
    id: post.id,
    platformId: post.platformId,
    type: post.type,
    caption: post.caption ?? null,
    permalink: post.permalink ?? null,
    mediaUrl: post.mediaUrl ?? null,
    publishedAt: post.publishedAt.toISOString(),
    likes: post.likes,
    comments: post.comments,
    shares: post.shares ?? null,
    views: post.views ?? null,
  };
}

export function presentSnapshot(snapshot: AccountSnapshot) {
  return {
    day: dayString(snapshot.day),
    followers: snapshot.followers,
    following: snapshot.following,
    mediaCount: snapshot.mediaCount,
    postsSynced: snapshot.postsSynced,
    engagementRate: snapshot.engagementRate,
  };
}

/** A day with its snapshot (`missing: false`) or without (`missing: true`); `day` repeats `date` for older clients. */
export function presentHistoryDay(entry: HistoryDay) {
  return entry.snapshot
    ? { date: entry.date, missing: false as const, ...presentSnapshot(entry.snapshot) }
    : { date: entry.date, day: entry.date, missing: true as const };
}

export function presentNotification(notification: Notification) {
  return {
    id: notification.id,
    kind: notification.kind,
    payload: notification.payload,
    readAt: iso(notification.readAt),
    createdAt: notification.createdAt.toISOString(),
  };
}

/** A start answers 202 whether it started the run or found it running; statusUrl is where to poll. */
export function presentStarted(started: StartedWorkflow) {
  return {
    workflowId: started.workflowId,
    runId: started.runId,
    type: started.type,
    status: 'RUNNING',
    statusUrl: `${API_BASE_PATH}/workflows/${encodeURIComponent(started.workflowId)}`,
  };
}

function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}
