import path from 'node:path';
import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { getIntegrationEnv } from '../helpers/integration-env';
import {
  connectToDevServer,
  createTestWorker,
  createTimeSkippingEnv,
  uniqueTaskQueue,
  type TestTemporal,
} from '../helpers/temporal';
import type { HarnessActivities } from './harness-workflows';

const WORKFLOWS_PATH = path.join(__dirname, 'harness-workflows.ts');

describe('integration harness', () => {
  let db: TestDatabase;
  let redis: Redis;
  const env = getIntegrationEnv();

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(env.redisUrl, { keyPrefix: env.redisKeyPrefix });
  });

  afterAll(async () => {
    redis.disconnect();
    await db.drop();
  });

  const activities: HarnessActivities = {
    touchServices: async (key) => {
      const [{ now }] = await db.orm.em.getConnection().execute<{ now: Date }[]>('select now() as now');
      const redisCount = await redis.incr(`harness:${key}`);
      return { postgresNow: new Date(now).toISOString(), redisCount };
    },
  };

  it('runs a workflow on the Temporal dev server with activities on real PostgreSQL and Redis', async () => {
    const temporal: TestTemporal = await connectToDevServer();
    const taskQueue = uniqueTaskQueue('harness');
    const worker = await createTestWorker({
      connection: temporal.nativeConnection,
      taskQueue,
      activities,
      workflowsPath: WORKFLOWS_PATH,
    });
    try {
      const result = await worker.runUntil(
        temporal.client.workflow.execute('touchServicesWorkflow', {
          taskQueue,
          workflowId: `harness-${taskQueue}`,
          args: ['dev'],
        }),
      );
      expect(result.redisCount).toBe(2);
      expect(Date.parse(result.postgresNow)).not.toBeNaN();
      expect(await redis.get('harness:dev')).toBe('2');
      const description = await temporal.client.workflow.getHandle(`harness-${taskQueue}`).describe();
      expect(description.status.name).toBe('COMPLETED');
    } finally {
      await temporal.close();
    }
  });

  it('skips a 30-day timer on the time-skipping test server', async () => {
    const testEnv = await createTimeSkippingEnv();
    try {
      const taskQueue = uniqueTaskQueue('skip');
      const worker = await createTestWorker({
        connection: testEnv.nativeConnection,
        taskQueue,
        activities,
        workflowsPath: WORKFLOWS_PATH,
      });
      const { before, after } = await worker.runUntil(
        testEnv.client.workflow.execute('longSleepWorkflow', { taskQueue, workflowId: `sleep-${taskQueue}` }),
      );
      expect(after - before).toBeGreaterThanOrEqual(30 * 24 * 3600 * 1000);
    } finally {
      await testEnv.teardown();
    }
  });
});
