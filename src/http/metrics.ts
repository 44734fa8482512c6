import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The API's Prometheus series, on a registry of its own (several apps in one test process must not share
 * prom-client's global registry).
 */
export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'socialsync_api_' });
  const httpDuration = new Histogram({
    name: 'socialsync_api_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    // 5 ms to 10 s: most answers are tens of ms; login pays ~70 ms of bcrypt; starting a workflow ~100 ms.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const rateLimitDecisions = new Counter({
    name: 'socialsync_api_rate_limit_decisions_total',
    help: 'Rate limiter decisions per policy and outcome (allowed, limited, skipped, store_error_allowed, fallback_allowed, fallback_limited)',
    labelNames: ['policy', 'outcome'] as const,
    registers: [registry],
  });
  return { registry, httpDuration, rateLimitDecisions };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
