// Test-only workflows that prove the harness itself: real server, real worker, real activities.
import { proxyActivities, sleep } from '@temporalio/workflow';

export interface HarnessActivities {
  touchServices(key: string): Promise<{ postgresNow: string; redisCount: number }>;
}

const { touchServices } = proxyActivities<HarnessActivities>({ startToCloseTimeout: '10s' });

export async function touchServicesWorkflow(
  key: string,
): Promise<{ postgresNow: string; redisCount: number }> {
  await touchServices(key);
  return touchServices(key);
}

/** Returns workflow time before and after a month-long durable timer. */
export async function longSleepWorkflow(): Promise<{ before: number; after: number }> {
  const before = Date.now();
  await sleep('30 days');
  return { before, after: Date.now() };
}
