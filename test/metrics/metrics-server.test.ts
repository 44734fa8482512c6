import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/metrics-server';
import { createWorkerMetrics } from '../../src/metrics/worker-metrics';

/** Stands in for the Temporal SDK's Prometheus exporter (Rust core) on its internal address. */
async function startFakeSdkExporter(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response
      .writeHead(200, { 'content-type': 'text/plain' })
      .end('# TYPE temporal_request counter\ntemporal_request{operation="PollWorkflowTaskQueue"} 7\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('worker /metrics endpoint', () => {
  const logger = pino({ level: 'silent' });
  let server: MetricsServer | null = null;

  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('serves socialsync counters and gauges followed by the Temporal SDK metrics', async () => {
    const sdk = await startFakeSdkExporter();
    const metrics = createWorkerMetrics();
    metrics.refreshAttempts.inc({ platform: 'tiktok', outcome: 'refreshed', reason: 'ok' });
    metrics.refreshAttempts.inc({ platform: 'instagram', outcome: 'reauth_required', reason: 'IG_190_460' });
    metrics.accountsByStatus.set({ platform: 'tiktok', status: 'active' }, 12);
    server = await startMetricsServer({
      port: 0,
      host: '127.0.0.1',
      registry: metrics.registry,
      sdkMetricsUrl: sdk.url,
      logger,
    });
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    const text = await response.text();
    await sdk.close();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(text).toContain(
      'socialsync_token_refresh_attempts_total{platform="tiktok",outcome="refreshed",reason="ok"} 1',
    );
    expect(text).toContain(
      'socialsync_token_refresh_attempts_total{platform="instagram",outcome="reauth_required",reason="IG_190_460"} 1',
    );
    expect(text).toContain('socialsync_accounts{platform="tiktok",status="active"} 12');
    expect(text).toContain('temporal_request{operation="PollWorkflowTaskQueue"} 7');
  });

  it('still serves its own series when the SDK exporter does not answer, and 404s other paths', async () => {
    const metrics = createWorkerMetrics();
    metrics.refreshAttempts.inc({ platform: 'tiktok', outcome: 'failed', reason: 'HTTP_503' });
    server = await startMetricsServer({
      port: 0,
      host: '127.0.0.1',
      registry: metrics.registry,
      sdkMetricsUrl: 'http://127.0.0.1:1/metrics',
      logger,
    });
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('outcome="failed",reason="HTTP_503"} 1');
    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
  });
});
