import { SlidingWindowCounter } from './sliding-window';
import type { EndpointId } from './endpoints';

/** How a request ended, as the platform meant it (a TikTok error under HTTP 200 is still an error). */
export type Outcome = 'ok' | 'error' | 'throttled' | 'timeout' | 'malformed';

export interface EndpointStats {
  total: number;
  ok: number;
  error: number;
  throttled: number;
  timeout: number;
  malformed: number;
  byStatus: Record<string, number>;
  byMethod: Record<string, number>;
  /** The most requests that arrived within any sliding window of `windowMs` (arrivals, refused ones included). */
  maxInWindow: number;
  windowMs: number;
}

export interface AccountEndpointStats {
  total: number;
  ok: number;
  failed: number;
}

export interface RequestLogSnapshot {
  endpoints: Partial<Record<EndpointId, EndpointStats>>;
  /** Keyed `platform:externalId`, then by endpoint. */
  accounts: Record<string, Partial<Record<EndpointId, AccountEndpointStats>>>;
}

/**
 * Counters only, no list of requests: O(1) per request whatever the volume (the data-sync benchmark
 * pushes thousands of accounts through). The peak-rate window uses the same pruned sliding window as the
 * quotas.
 */
export class RequestLog {
  private endpoints = new Map<EndpointId, EndpointStats>();
  private accounts = new Map<string, Map<EndpointId, AccountEndpointStats>>();
  private arrivals = new SlidingWindowCounter();

  constructor(
    private readonly nowMs: () => number,
    private windowMs: () => number,
  ) {}

  /** Called as a request arrives, before latency, quotas and faults. */
  arrive(endpoint: EndpointId, method: string): void {
    const stats = this.statsFor(endpoint);
    const windowMs = this.windowMs();
    const inWindow = this.arrivals.record(endpoint, this.nowMs(), windowMs);
    stats.windowMs = windowMs;
    stats.maxInWindow = Math.max(stats.maxInWindow, inWindow);
    stats.byMethod[method] = (stats.byMethod[method] ?? 0) + 1;
  }

  complete(endpoint: EndpointId, account: string | null, status: number, outcome: Outcome): void {
    const stats = this.statsFor(endpoint);
    stats.total++;
    stats[outcome]++;
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    if (!account) return;
    let perAccount = this.accounts.get(account);
    if (!perAccount) {
      perAccount = new Map();
      this.accounts.set(account, perAccount);
    }
    const entry = perAccount.get(endpoint) ?? { total: 0, ok: 0, failed: 0 };
    entry.total++;
    if (outcome === 'ok') entry.ok++;
    else entry.failed++;
    perAccount.set(endpoint, entry);
  }

  endpoint(endpoint: EndpointId): EndpointStats {
    return structuredClone(this.statsFor(endpoint));
  }

  account(account: string): Partial<Record<EndpointId, AccountEndpointStats>> {
    return Object.fromEntries(structuredClone([...(this.accounts.get(account) ?? new Map()).entries()]));
  }

  snapshot(options: { accounts?: boolean } = {}): RequestLogSnapshot {
    const endpoints = Object.fromEntries(structuredClone([...this.endpoints.entries()]));
    if (options.accounts === false) return { endpoints, accounts: {} };
    const accounts: RequestLogSnapshot['accounts'] = {};
    for (const key of this.accounts.keys()) accounts[key] = this.account(key);
    return { endpoints, accounts };
  }

  clear(): void {
    this.endpoints.clear();
    this.accounts.clear();
    this.arrivals.clear();
  }

  private statsFor(endpoint: EndpointId): EndpointStats {
    let stats = this.endpoints.get(endpoint);
    if (!stats) {
      stats = {
        total: 0,
        ok: 0,
        error: 0,
        throttled: 0,
        timeout: 0,
        malformed: 0,
        byStatus: {},
        byMethod: {},
        maxInWindow: 0,
        windowMs: this.windowMs(),
      };
      this.endpoints.set(endpoint, stats);
    }
    return stats;
  }
}
