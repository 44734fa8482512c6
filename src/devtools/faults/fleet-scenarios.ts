import { freshClientIp, percentile, send, statusCounts, sustained, type Answer } from './api-load';
import type { Deployment } from './fault-stack';
import {
  describeFleet,
  fleetFigures,
  fleetHeld,
  seconds,
  waitForSynced,
  type FleetFigures,
} from './fleet-checks';
import {
  machineLoad,
  sleep,
  withDeployment,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from './scenario';

/**
 * Faults injected into a running fleet sync (and, for the dependency outages, into API traffic at the same
 * time). Each scenario checks afterwards, from the database and the simulator's request log, that every
 * account was synced once and nothing was written twice.
 */

/** The PostgreSQL outage: long enough to outlast every retry schedule that was shorter than a minute. */
const POSTGRES_OUTAGE_MS = 60_000;
const REDIS_OUTAGE_MS = 20_000;
/** The API must answer within this while a dependency is down (p99), not hang on it. */
const OUTAGE_P99_LIMIT_MS = 100;
/**
 * Clients polling the API during the outage, each one request after the other with a pause: steady traffic
 * (about 40 requests/s), not a saturation test that would measure the 2 shared cores instead of the API.
 */
const OUTAGE_CLIENTS = 4;
const OUTAGE_CLIENT_PAUSE_MS = 100;

export const undisturbedFleetSync: Scenario = {
  id: 'undisturbed',
  async run(context) {
    return withDeployment(context, 'undisturbed', async (deployment) => {
      await deployment.startWorker();
      const fleet = await deployment.startFleetSync();
      const figures = await fleetFigures(context, deployment, fleet);
      if (figures.completed) context.undisturbedMs = figures.durationMs;
      return [fleetResult('undisturbed fleet sync (reference)', figures, null)];
    });
  },
};

export const workerKilledThreeTimes: Scenario = {
  id: 'worker-kill',
  async run(context) {
    return withDeployment(context, 'worker-kill', async (deployment) => {
      await deployment.startWorker();
      const fleet = await deployment.startFleetSync();
      let kills = 0;
      for (const fraction of [0.15, 0.35, 0.55]) {
        if (!(await waitForSynced(deployment, fleet, share(context, fraction)))) break;
        await deployment.workers[deployment.workers.length - 1].kill();
        kills++;
        context.log(`worker SIGKILL ${kills} at ${Math.round(fraction * 100)} % synced; starting a new one`);
        await deployment.startWorker();
      }
      const figures = await fleetFigures(context, deployment, fleet);
      const result = fleetResult('worker SIGKILL x3 during a fleet sync', figures, context.undisturbedMs);
      return [{ ...result, held: result.held && kills === 3, figures: `${kills} kills; ${result.figures}` }];
    });
  },
};

export const temporalKilledAndRestarted: Scenario = {
  id: 'temporal-kill',
  async run(context) {
    return withDeployment(context, 'temporal-kill', async (deployment) => {
      await deployment.startWorker();
      const fleet = await deployment.startFleetSync();
      const reached = await waitForSynced(deployment, fleet, share(context, 0.25));
      const down = Date.now();
      await context.stack.temporal.kill();
      await sleep(5_000);
      await context.stack.temporal.restart();
      const downMs = Date.now() - down;
      context.log(`Temporal server killed and back after ${seconds(downMs)}`);
      const figures = await fleetFigures(context, deployment, fleet);
      const result = fleetResult(
        'Temporal server SIGKILL, restarted on its file',
        figures,
        context.undisturbedMs,
      );
      return [
        { ...result, held: result.held && reached, figures: `down ${seconds(downMs)}; ${result.figures}` },
      ];
    });
  },
};

export const postgresStopped: Scenario = {
  id: 'postgres-outage',
  async run(context) {
    return withDeployment(context, 'postgres-outage', async (deployment) => {
      await deployment.startWorker();
      const api = await deployment.startApi();
      const fleet = await deployment.startFleetSync();
      const reached = await waitForSynced(deployment, fleet, share(context, 0.2));
      const stoppedAt = await deployment.syncedSince(fleet.startedAt);
      const down = Date.now();
      const answeredBefore = api.requestDurations().length;
      await context.stack.postgres.stop();
      context.log(`PostgreSQL stopped at ${stoppedAt} accounts synced`);
      const outageLeft = POSTGRES_OUTAGE_MS - (Date.now() - down);
      const answers = await sustained(outageLeft, OUTAGE_CLIENTS, OUTAGE_CLIENT_PAUSE_MS, () => ({
        baseUrl: api.baseUrl!,
        method: 'GET',
        path: '/api/v1/accounts',
        clientIp: freshClientIp(),
        token: context.stack.apiUserToken,
      }));
      await context.stack.postgres.start();
      context.log(`PostgreSQL back after ${seconds(Date.now() - down)}`);
      const figures = await fleetFigures(context, deployment, fleet);
      const fleetLine = fleetResult(
        `PostgreSQL stopped ${POSTGRES_OUTAGE_MS / 1000} s mid-fleet`,
        figures,
        context.undisturbedMs,
      );
      return [
        {
          ...fleetLine,
          held: fleetLine.held && reached,
          figures: `stopped at ${stoppedAt}/${figures.accounts} synced; ${fleetLine.figures}`,
        },
        outageApiResult(
          'API while PostgreSQL is down (GET /accounts)',
          answers,
          api.requestDurations().slice(answeredBefore, answeredBefore + answers.length),
        ),
      ];
    });
  },
};

export const redisStopped: Scenario = {
  id: 'redis-outage',
  async run(context) {
    return withDeployment(context, 'redis-outage', async (deployment) => {
      await deployment.startWorker();
      const api = await deployment.startApi();
      const fleet = await deployment.startFleetSync();
      const reached = await waitForSynced(deployment, fleet, share(context, 0.2));
      const loginIp = freshClientIp();
      const login = () =>
        send({
          baseUrl: api.baseUrl!,
          method: 'POST',
          path: '/api/v1/auth/login',
          clientIp: loginIp,
          body: { email: 'nobody@faults.test', password: 'wrong password' },
        });
      const admittedBefore = await countAdmitted(3, login);
      const down = Date.now();
      await context.stack.redis.stop();
      context.log('Redis stopped');
      const reads: Answer[] = [];
      for (let i = 0; i < 20; i++)
        reads.push(
          await send({
            baseUrl: api.baseUrl!,
            method: 'GET',
            path: '/api/v1/accounts',
            clientIp: freshClientIp(),
            token: context.stack.apiUserToken,
          }),
        );
      const admittedDuring = await countAdmitted(5, login);
      await sleep(Math.max(0, REDIS_OUTAGE_MS - (Date.now() - down)));
      await context.stack.redis.start();
      const recoveredInMs = await waitForRedisDecisions(api.baseUrl!, context.stack.apiUserToken);
      context.log(`Redis back after ${seconds(Date.now() - down)}`);
      const figures = await fleetFigures(context, deployment, fleet);
      const fleetLine = fleetResult(
        `Redis stopped ${REDIS_OUTAGE_MS / 1000} s mid-fleet`,
        figures,
        context.undisturbedMs,
      );
      const readsAnswered = reads.every((answer) => answer.status === 200);
      const loginsAdmitted = admittedBefore + admittedDuring;
      return [
        { ...fleetLine, held: fleetLine.held && reached },
        {
          fault: 'API while Redis is down (reads, 8 logins vs limit 5)',
          held: readsAnswered && loginsAdmitted === 5 && recoveredInMs !== null,
          figures:
            `reads: ${statusCounts(reads)}; logins admitted ${admittedBefore} before + ${admittedDuring} during ` +
            `the outage = ${loginsAdmitted} (limit 5); limiters back on Redis ` +
            `${recoveredInMs === null ? 'NOT within 30 s' : `${seconds(recoveredInMs)} after restart`}`,
          accountsLost: 0,
          duplicates: 0,
        },
      ];
    });
  },
};

export const platformBursts: Scenario = {
  id: 'platform-bursts',
  async run(context) {
    return withDeployment(context, 'platform-bursts', async (deployment) => {
      const { control } = context.stack.simulator;
      const baseline = { all: { latencyMs: context.stack.options.latencyMs } };
      await deployment.startWorker();
      const fleet = await deployment.startFleetSync();
      let injected = 0;
      if (await waitForSynced(deployment, fleet, share(context, 0.1))) {
        await control.setFaults({ all: { ...baseline.all, errorRate: 0.5 } });
        await sleep(3_000);
        await control.setFaults(baseline);
        injected++;
      }
      if (await waitForSynced(deployment, fleet, share(context, 0.3))) {
        await control.setFaults({ all: { ...baseline.all, timeoutRate: 0.2 }, hangMs: 15_000 });
        await sleep(3_000);
        await control.setFaults(baseline);
        injected++;
      }
      // TikTok's 429 pauses TikTok for a minute; Instagram's app-level throttle (code 4) would pause Instagram
      // for 5 (docs/operations.md#pacing-and-quotas), making the run a test of patience.
      if (await waitForSynced(deployment, fleet, share(context, 0.5))) {
        for (const externalId of await unsyncedAccounts(deployment, 'tiktok', fleet.startedAt, 5))
          await control.failNext('tiktok', externalId, 1, 'rate_limited');
        injected++;
      }
      const figures = await fleetFigures(context, deployment, fleet);
      const log = await control.requestLog();
      let errors = 0;
      let timeouts = 0;
      let throttled = 0;
      for (const stats of Object.values(log.endpoints)) {
        errors += stats?.error ?? 0;
        timeouts += stats?.timeout ?? 0;
        throttled += stats?.throttled ?? 0;
      }
      const line = fleetResult(
        'platform 5xx, timeout and TikTok 429 bursts mid-fleet',
        figures,
        context.undisturbedMs,
      );
      return [
        {
          ...line,
          held: line.held && injected === 3,
          figures: `injected ${errors} errors, ${timeouts} timeouts, ${throttled} throttles; ${line.figures}`,
        },
      ];
    });
  },
};

function fleetResult(fault: string, figures: FleetFigures, undisturbedMs: number | null): ScenarioResult {
  return {
    fault,
    held: fleetHeld(figures),
    figures: `${describeFleet(figures, undisturbedMs)}; ${machineLoad()}`,
    accountsLost: figures.lost,
    duplicates: figures.duplicates,
  };
}

/**
 * Held: every answer was 503 SERVICE_UNAVAILABLE with Retry-After, and the p99 the clients saw is under the
 * limit. The API's own durations (its request log) are shown beside them: the difference is the machine.
 */
function outageApiResult(fault: string, answers: Answer[], serverMs: number[]): ScenarioResult {
  const latencies = answers.map((answer) => answer.ms);
  const unavailable = answers.filter((answer) => answer.status === 503 && answer.retryAfter !== null);
  const p99 = percentile(latencies, 99);
  return {
    fault,
    held: answers.length > 0 && unavailable.length === answers.length && p99 < OUTAGE_P99_LIMIT_MS,
    figures:
      `${answers.length} requests: ${statusCounts(answers)}; with Retry-After ${unavailable.length}; ` +
      `client p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (limit ${OUTAGE_P99_LIMIT_MS}); ` +
      `in the API p50 ${percentile(serverMs, 50)} ms, p99 ${percentile(serverMs, 99)} ms; ${machineLoad()}`,
    accountsLost: 0,
    duplicates: 0,
  };
}

function share(context: ScenarioContext, fraction: number): number {
  return Math.max(1, Math.floor(context.stack.accountCount * fraction));
}

/** Sends `count` requests one after the other; counts those a limiter let through (anything but 429). */
async function countAdmitted(count: number, request: () => Promise<Answer>): Promise<number> {
  let admitted = 0;
  for (let i = 0; i < count; i++) if ((await request()).status !== 429) admitted++;
  return admitted;
}

/** After Redis is back: the general limiter decides in Redis again (its RateLimit header is back). */
async function waitForRedisDecisions(baseUrl: string, token: string): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < 30_000) {
    const answer = await send({
      baseUrl,
      method: 'GET',
      path: '/api/v1/accounts',
      clientIp: freshClientIp(),
      token,
    });
    if (answer.rateLimitHeader?.includes('"general"')) return Date.now() - started;
    await sleep(250);
  }
  return null;
}

/**
 * The next accounts the fleet will reach (it pages in id order): their throttles arrive together, as one
 * burst, and pause the platform once instead of one minute after the other.
 */
async function unsyncedAccounts(
  deployment: Deployment,
  platform: 'instagram' | 'tiktok',
  since: Date,
  limit: number,
): Promise<string[]> {
  const { rows } = await deployment.db.query(
    `select external_id from social_accounts
      where platform = $1 and (last_synced_at is null or last_synced_at < $2)
      order by id limit $3`,
    [platform, since, limit],
  );
  return rows.map((row: { external_id: string }) => row.external_id);
}
