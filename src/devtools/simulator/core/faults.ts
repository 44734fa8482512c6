import type { EndpointId } from './endpoints';
import type { EndpointFaults, FaultSettings } from './options';

/** What a "flaky account" rule makes its next calls do. */
export const FAILURE_KINDS = ['transient', 'http_error', 'timeout', 'malformed', 'rate_limited'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/**
 * How an injected 429 looks: with or without a Retry-After (seconds), and for Instagram which throttling code
 * (4 app-wide, the default; 17 user, 32 page, 613 custom, 80002 business use case).
 */
export interface RateLimitShape {
  retryAfterSeconds?: number;
  instagramCode?: number;
}

export type FaultAction =
  | { type: 'transient'; variant: 'platform' | 'http' }
  | { type: 'timeout' }
  | { type: 'malformed' }
  | ({ type: 'rate_limited' } & RateLimitShape);

interface FlakyRule {
  remaining: number;
  failure: FailureKind;
  endpoints: ReadonlySet<EndpointId> | null;
  rateLimit: RateLimitShape;
}

/** App-wide throttling: every call to these endpoints, whoever makes it, is refused until `untilMs`. */
interface ThrottleRule extends RateLimitShape {
  endpoints: ReadonlySet<EndpointId>;
  untilMs: number;
}

/** A dropped request is held this long by default: far beyond any sane client timeout. */
const DEFAULT_HANG_MS = 30_000;

/**
 * Decides, per request, whether to inject a failure: first the deterministic per-account rules ("fail the
 * next N calls of account X"), then the random rates configured per endpoint.
 */
export class FaultInjector {
  private flaky = new Map<string, FlakyRule[]>();
  private throttles: ThrottleRule[] = [];

  constructor(
    private readonly settings: () => FaultSettings,
    /** Read through a function: a reset swaps the generator. */
    private readonly random: () => number,
  ) {}

  failNext(
    account: string,
    count: number,
    failure: FailureKind,
    endpoints?: readonly EndpointId[],
    rateLimit: RateLimitShape = {},
  ): void {
    const rules = this.flaky.get(account) ?? [];
    rules.push({
      remaining: count,
      failure,
      endpoints: endpoints?.length ? new Set(endpoints) : null,
      rateLimit,
    });
    this.flaky.set(account, rules);
  }

  /** Every call to `endpoints` answers 429 until `untilMs` (simulator clock), for every account. */
  throttle(endpoints: readonly EndpointId[], untilMs: number, rateLimit: RateLimitShape = {}): void {
    this.throttles.push({ endpoints: new Set(endpoints), untilMs, ...rateLimit });
  }

  clearFlaky(): void {
    this.flaky.clear();
    this.throttles = [];
  }

  latencyMs(endpoint: EndpointId): number {
    const { latencyMs = 0, jitterMs = 0 } = this.faultsFor(endpoint);
    return latencyMs + (jitterMs > 0 ? this.random() * jitterMs : 0);
  }

  hangMs(): number {
    return this.settings().hangMs ?? DEFAULT_HANG_MS;
  }

  decide(endpoint: EndpointId, account: string | null, nowMs: number): FaultAction | null {
    return (
      this.throttled(endpoint, nowMs) ||
      (account && this.takeFlaky(account, endpoint)) ||
      this.rollDice(endpoint)
    );
  }

  private throttled(endpoint: EndpointId, nowMs: number): FaultAction | null {
    this.throttles = this.throttles.filter((rule) => rule.untilMs > nowMs);
    const rule = this.throttles.find((candidate) => candidate.endpoints.has(endpoint));
    if (!rule) return null;
    return {
      type: 'rate_limited',
      retryAfterSeconds: rule.retryAfterSeconds,
      instagramCode: rule.instagramCode,
    };
  }

  private takeFlaky(account: string, endpoint: EndpointId): FaultAction | null {
    const rules = this.flaky.get(account);
    const rule = rules?.find((candidate) => !candidate.endpoints || candidate.endpoints.has(endpoint));
    if (!rules || !rule) return null;
    rule.remaining--;
    if (rule.remaining <= 0) rules.splice(rules.indexOf(rule), 1);
    if (rules.length === 0) this.flaky.delete(account);
    return rule.failure === 'rate_limited'
      ? { type: 'rate_limited', ...rule.rateLimit }
      : actionFor(rule.failure);
  }

  private rollDice(endpoint: EndpointId): FaultAction | null {
    const {
      errorRate = 0,
      timeoutRate = 0,
      malformedRate = 0,
      errorKind = 'mixed',
    } = this.faultsFor(endpoint);
    if (errorRate + timeoutRate + malformedRate <= 0) return null;
    const roll = this.random();
    if (roll < errorRate) {
      const http = errorKind === 'http' || (errorKind === 'mixed' && this.random() < 0.5);
      return { type: 'transient', variant: http ? 'http' : 'platform' };
    }
    if (roll < errorRate + timeoutRate) return { type: 'timeout' };
    if (roll < errorRate + timeoutRate + malformedRate) return { type: 'malformed' };
    return null;
  }

  private faultsFor(endpoint: EndpointId): EndpointFaults {
    const { all, endpoints } = this.settings();
    const specific = endpoints?.[endpoint];
    return specific ? { ...all, ...specific } : (all ?? {});
  }
}

function actionFor(failure: FailureKind): FaultAction {
  switch (failure) {
    case 'transient':
      return { type: 'transient', variant: 'platform' };
    case 'http_error':
      return { type: 'transient', variant: 'http' };
    case 'timeout':
      return { type: 'timeout' };
    case 'malformed':
      return { type: 'malformed' };
    case 'rate_limited':
      return { type: 'rate_limited' };
  }
}
