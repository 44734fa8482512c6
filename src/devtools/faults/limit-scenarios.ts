import { burst, freshClientIp, type RequestSpec } from './api-load';
import { describeFleet, fleetFigures, fleetHeld, waitForSynced } from './fleet-checks';
import type { ServiceProcess } from './services';
import { machineLoad, withDeployment, type Scenario, type ScenarioContext } from './scenario';

/**
 * The limiters' counts under load: bursts far above the general (100) and auth (5) limits, each from a client
 * address of its own, while a fleet sync keeps the same two cores busy; and the same bursts spread over two
 * API replicas that must share one count through Redis.
 */

const GENERAL_LIMIT = 100;
const AUTH_LIMIT = 5;
const GENERAL_BURST = 300;
const LOGIN_BURST = 50;
const ROUNDS = 3;

interface RoundFigures {
  general: number;
  logins: number;
}

export const limitersUnderFleetSync: Scenario = {
  id: 'limiters-under-load',
  async run(context) {
    return withDeployment(context, 'limiters-under-load', async (deployment) => {
      await deployment.startWorker();
      const api = await deployment.startApi();
      const fleet = await deployment.startFleetSync();
      const loaded = await waitForSynced(deployment, fleet, Math.floor(context.stack.accountCount * 0.1));
      const rounds: RoundFigures[] = [];
      for (let round = 0; round < ROUNDS; round++) rounds.push(await limiterRound(context, [api]));
      const load = machineLoad();
      const runningThroughout = (await fleet.handle.describe()).status.name === 'RUNNING';
      const figures = await fleetFigures(context, deployment, fleet);
      return [
        {
          fault: `limiters exact while a fleet sync runs (${GENERAL_BURST} concurrent vs ${GENERAL_LIMIT}, ${LOGIN_BURST} logins vs ${AUTH_LIMIT})`,
          held: loaded && rounds.every(exact) && runningThroughout && fleetHeld(figures),
          figures:
            `${describeRounds(rounds)}; fleet sync running throughout: ${runningThroughout ? 'yes' : 'NO'}; ` +
            `${load}; fleet: ${describeFleet(figures, context.undisturbedMs)}`,
          accountsLost: figures.lost,
          duplicates: figures.duplicates,
        },
      ];
    });
  },
};

export const twoWorkersTwoApis: Scenario = {
  id: 'replicas',
  async run(context) {
    return withDeployment(context, 'replicas', async (deployment) => {
      const [first, second] = [await deployment.startWorker(), await deployment.startWorker()];
      const apis = [await deployment.startApi(), await deployment.startApi()];
      const fleet = await deployment.startFleetSync();
      const loaded = await waitForSynced(deployment, fleet, Math.floor(context.stack.accountCount * 0.15));
      const rounds = [await limiterRound(context, apis)];
      const killedAt = await waitForSynced(deployment, fleet, Math.floor(context.stack.accountCount * 0.4));
      await first.kill();
      context.log('worker-1 SIGKILL (not restarted)');
      const figures = await fleetFigures(context, deployment, fleet);
      const shares = [first, second].map((worker) => worker.messageCount('account synced'));
      const spread = shares.every((count) => count >= context.stack.accountCount * 0.1);
      return [
        {
          fault: 'two workers + two API replicas on one Temporal, PostgreSQL and Redis, one worker killed',
          held: loaded && fleetHeld(figures) && spread && killedAt && rounds.every(exact),
          figures:
            `accounts synced by worker-1 ${shares[0]} (killed at 40 %), worker-2 ${shares[1]}; ` +
            `limits across both APIs: ${describeRounds(rounds)}; ${describeFleet(figures, context.undisturbedMs)}; ` +
            machineLoad(),
          accountsLost: figures.lost,
          duplicates: figures.duplicates,
        },
      ];
    });
  },
};

/**
 * One round: GENERAL_BURST reads and LOGIN_BURST wrong logins, all at once, spread round-robin over `apis`,
 * from two fresh client addresses. Admitted = not refused by a limiter (anything but 429).
 */
async function limiterRound(context: ScenarioContext, apis: ServiceProcess[]): Promise<RoundFigures> {
  const readerIp = freshClientIp();
  const loginIp = freshClientIp();
  const reads: RequestSpec[] = Array.from({ length: GENERAL_BURST }, (_, i) => ({
    baseUrl: apis[i % apis.length].baseUrl!,
    method: 'GET',
    path: '/api/v1/accounts',
    clientIp: readerIp,
    token: context.stack.apiUserToken,
  }));
  const logins: RequestSpec[] = Array.from({ length: LOGIN_BURST }, (_, i) => ({
    baseUrl: apis[i % apis.length].baseUrl!,
    method: 'POST',
    path: '/api/v1/auth/login',
    clientIp: loginIp,
    body: { email: 'nobody@faults.test', password: 'wrong password' },
  }));
  const [readAnswers, loginAnswers] = await Promise.all([burst(reads), burst(logins)]);
  const admitted = (answers: { status: number }[]) =>
    answers.filter((answer) => answer.status !== 429).length;
  return { general: admitted(readAnswers), logins: admitted(loginAnswers) };
}

function exact(round: RoundFigures): boolean {
  return round.general === GENERAL_LIMIT && round.logins === AUTH_LIMIT;
}

function describeRounds(rounds: RoundFigures[]): string {
  return rounds
    .map(
      (round, i) =>
        `round ${i + 1}: ${round.general} of ${GENERAL_BURST} admitted (limit ${GENERAL_LIMIT}), ` +
        `${round.logins} of ${LOGIN_BURST} logins (limit ${AUTH_LIMIT})`,
    )
    .join('; ');
}
