import type { RouteExample } from '../openapi/route';

/**
 * Example requests and answers of the main routes for the OpenAPI document (the explorer shows them and
 * fills "Try it out" with the first). test/http/openapi.test.ts parses each with its route's own schemas,
 * so an example cannot drift from what the API accepts and answers.
 */

const USER_ID = '3f0e7c1a-5b2d-4c8e-9a71-2d6b0f4e8c15';
const ACCOUNT_ID = '8b4d2e6f-1a3c-4e5b-9d7f-0c2a4e6b8d1f';
const RUN_ID = '0195f3c2-7a4b-7c1d-8e2f-3a4b5c6d7e8f';
const SYNC_WORKFLOW_ID = `sync-account-${ACCOUNT_ID}`;

const example = (summary: string, value: unknown): RouteExample => ({ summary, value });

const user = {
  id: USER_ID,
  email: 'maya@example.com',
  name: 'Maya Lens',
  role: 'influencer',
  verified: false,
  createdAt: '2026-11-02T09:14:03.000Z',
};

export const SIGNUP_EXAMPLES = {
  body: {
    influencer: example('A new influencer', {
      email: 'maya@example.com',
      password: 'a long passphrase',
      name: 'Maya Lens',
    }),
  },
  response: {
    created: example('Unverified user; a 6-digit code was mailed', {
      user,
      message: 'A verification code was sent to your email.',
    }),
  },
};

export const LOGIN_EXAMPLES = {
  body: {
    login: example('Email and password', { email: 'maya@example.com', password: 'a long passphrase' }),
  },
  response: {
    token: example('A Bearer token for one hour', {
      token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiaW5mbHVlbmNlciJ9.c2lnbmF0dXJl',
      tokenType: 'Bearer',
      expiresIn: 3600,
      user: { ...user, verified: true },
    }),
  },
};

const account = {
  id: ACCOUNT_ID,
  platform: 'instagram',
  externalId: '17841400000000001',
  username: 'maya.lens',
  displayName: 'Maya Lens',
  status: 'active',
  followers: 48210,
  following: 512,
  mediaCount: 342,
  engagementRate: 0,
  lastSyncedAt: null,
  lastRefreshedAt: null,
  tokenExpiresAt: '2027-01-01T09:20:00.000Z',
  lastErrorCode: null,
  connectedAt: '2026-11-02T09:20:00.000Z',
};

export const CONNECT_EXAMPLES = {
  body: {
    fromRedirect: example('code and state as the platform put them on the redirect', {
      code: 'AQBx7Yc0m9Q3pKd2vT1s',
      state: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJwbGF0Zm9ybSI6Imluc3RhZ3JhbSJ9.c2lnbmF0dXJl',
    }),
  },
  response: {
    connected: example('A new account (reconnecting your own answers reconnected: true)', {
      account,
      reconnected: false,
    }),
  },
};

export const SYNC_EXAMPLES = {
  body: {
    latest: example('Your most recently connected account of this platform', {}),
    oneAccount: example('A given account', { accountId: ACCOUNT_ID }),
  },
  response: {
    started: example('Started, or the run already going', {
      workflowId: SYNC_WORKFLOW_ID,
      runId: RUN_ID,
      type: 'syncAccountWorkflow',
      status: 'RUNNING',
      statusUrl: `/api/v1/workflows/${SYNC_WORKFLOW_ID}`,
    }),
  },
};

const syncStatus = {
  workflowId: SYNC_WORKFLOW_ID,
  runId: RUN_ID,
  type: 'syncAccountWorkflow',
  startedAt: '2026-11-02T09:21:00.000Z',
  accountId: ACCOUNT_ID,
  platform: 'instagram',
  triggeredBy: 'api',
};

export const WORKFLOW_STATUS_EXAMPLES = {
  response: {
    running: example('Running: live progress', {
      ...syncStatus,
      status: 'RUNNING',
      closedAt: null,
      progress: { accountId: ACCOUNT_ID, stage: 'syncing', rateLimitedUntil: null, result: null },
      result: null,
      error: null,
    }),
    completed: example('Completed: the result', {
      ...syncStatus,
      status: 'COMPLETED',
      closedAt: '2026-11-02T09:21:04.000Z',
      progress: null,
      result: {
        accountId: ACCOUNT_ID,
        outcome: 'synced',
        platform: 'instagram',
        postsSynced: 25,
        followers: 48210,
        engagementRate: 3.42,
      },
      error: null,
    }),
    failed: example('Failed: the root failure as a code and message', {
      ...syncStatus,
      status: 'FAILED',
      closedAt: '2026-11-02T09:23:30.000Z',
      progress: null,
      result: null,
      error: { code: 'SyncAccountFailed', message: `sync of account ${ACCOUNT_ID} failed: IG_2` },
    }),
  },
};
