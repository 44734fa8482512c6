import { externalIdOf } from '../core/endpoints';
import type { FaultAction } from '../core/faults';
import { instagramFault, throttledReply, usageHeaders } from '../instagram/replies';
import { newFbTraceId, newLogId } from '../core/secrets';
import { rateLimited, tiktokFault } from '../tiktok/replies';
import type { Sleeper } from './sleeper';
import type { SimReply, SimRequest, SimRoute, SimState } from './types';

/**
 * What every simulated platform request goes through: log the arrival, wait the configured latency, then
 * (synchronously, so concurrent requests cannot race) quotas, injected faults and the handler itself.
 * Returns null for a request that hangs and is then dropped.
 */
export async function runPipeline(
  state: SimState,
  route: SimRoute,
  req: SimRequest,
  sleeper: Sleeper,
): Promise<SimReply | null> {
  state.log.arrive(route.endpoint, req.method);
  const latency = state.faults.latencyMs(route.endpoint);
  if (latency > 0) await sleeper.sleep(latency);
  const account = route.identify(req);
  const quota = applyQuota(state, route, account);
  if (quota.refusal) return finish(state, route, account, quota.refusal, quota.headers);
  const fault = state.faults.decide(route.endpoint, account, state.clock.nowMs());
  if (fault?.type === 'timeout') {
    state.log.complete(route.endpoint, account, 0, 'timeout');
    await sleeper.sleep(state.faults.hangMs());
    return null;
  }
  const reply = fault ? faultReply(state, route, fault) : route.handle(req);
  return finish(state, route, account, reply, quota.headers);
}

function applyQuota(
  state: SimState,
  route: SimRoute,
  account: string | null,
): { refusal: SimReply | null; headers: Record<string, string> } {
  const nowMs = state.clock.nowMs();
  if (route.quota === 'tiktok') {
    const allowed = state.quotas.takeTikTok(route.endpoint, account, nowMs, state.settings.quotas.tiktok);
    return { refusal: allowed ? null : rateLimited(state), headers: {} };
  }
  if (route.quota === 'instagram' && account) {
    const verdict = state.quotas.takeInstagram(account, nowMs, state.settings.quotas.instagram);
    const headers = usageHeaders(state, externalIdOf(account), verdict);
    return { refusal: verdict.allowed ? null : throttledReply(state, verdict), headers };
  }
  return { refusal: null, headers: {} };
}

function faultReply(state: SimState, route: SimRoute, fault: FaultAction): SimReply {
  return route.family.startsWith('instagram')
    ? instagramFault(state, route.family, fault)
    : tiktokFault(state, route.family, fault);
}

/** Adds the request-id header each platform sends on every answer, and records the outcome. */
function finish(
  state: SimState,
  route: SimRoute,
  account: string | null,
  reply: SimReply,
  extra: Record<string, string>,
): SimReply {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=UTF-8',
    ...reply.headers,
    ...extra,
  };
  if (route.family.startsWith('tiktok') && !headers['x-tt-logid'])
    headers['x-tt-logid'] = newLogId(state.clock.now());
  if (route.family.startsWith('instagram') && !headers['x-fb-trace-id'])
    headers['x-fb-trace-id'] = newFbTraceId();
  state.log.complete(route.endpoint, account, reply.status, reply.outcome);
  return { ...reply, headers };
}
