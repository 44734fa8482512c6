import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/**
 * The worker's one /metrics endpoint: socialsync's own series (prom-client) followed by the Temporal SDK's
 * runtime metrics. The SDK's Prometheus exporter (Rust core) can only listen on its own address, so
 * runtime.ts binds it to an internal 127.0.0.1 port and this server appends its text: one scrape target,
 * and the SDK port is never exposed. The two sets never share a metric name (the SDK's start `temporal_`).
 */
export interface MetricsServerInput {
  port: number;
  /** WORKER_METRICS_HOST: 127.0.0.1 unless a deployment opens it (0.0.0.0 in docker-compose). */
  host: string;
  registry: Registry;
  /** e.g. http://127.0.0.1:40123/metrics; null when the SDK exporter is not installed. */
  sdkMetricsUrl: string | null;
  logger: Logger;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** The SDK exporter answers from memory: a slow answer means it is wedged, not busy. */
const SDK_SCRAPE_TIMEOUT_MS = 2000;

export async function startMetricsServer(input: MetricsServerInput): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    renderMetrics(input)
      .then((body) => response.writeHead(200, { 'content-type': input.registry.contentType }).end(body))
      .catch((error: Error) => {
        input.logger.error({ err: error.message }, 'metrics rendering failed');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(input.port, input.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function renderMetrics(
  input: Pick<MetricsServerInput, 'registry' | 'sdkMetricsUrl' | 'logger'>,
): Promise<string> {
  const own = await input.registry.metrics();
  if (!input.sdkMetricsUrl) return own;
  try {
    const response = await fetch(input.sdkMetricsUrl, { signal: AbortSignal.timeout(SDK_SCRAPE_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return `${own.trimEnd()}\n${await response.text()}`;
  } catch (error) {
    // Our own series are still worth serving; the gap in temporal_* series shows the SDK side is missing.
    input.logger.warn({ err: (error as Error).message }, 'Temporal SDK metrics unavailable');
    return own;
  }
}
