import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** When the request was answered (ms since the epoch). */
  at: number;
  /** The status it was answered with. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every request answered, in arrival order (a refused connection while down is not a request). */
  received: ReceivedWebhook[];
  /** Status codes to answer, in order; then 204 for every request. */
  answerWith(statuses: number[]): void;
  /** While down, every connection is dropped before an answer (what a client sees of a receiver that is off). */
  setDown(down: boolean): void;
  /** Every answer waits this long (a slow receiver). */
  setDelay(ms: number): void;
  /** The most requests it was answering at the same time. */
  maxInFlight(): number;
  /** Starts the peak over from the requests in flight now. */
  resetPeak(): void;
  /** The parsed bodies of the requests answered 2xx, each event id once (the dedupe a receiver does). */
  accepted(): Array<{ id: string; kind: string; sequence: number; data: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A real HTTP endpoint on 127.0.0.1 that records every request (the webhook's receiving end). */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const queued: number[] = [];
  let down = false;
  let delayMs = 0;
  let inFlight = 0;
  let peak = 0;
  const server = http.createServer((request, response) => {
    if (down) {
      request.socket.destroy();
      return;
    }
    inFlight++;
    peak = Math.max(peak, inFlight);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      setTimeout(() => {
        inFlight--;
        const status = queued.shift() ?? 204;
        received.push({
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
          status,
        });
        response.writeHead(status, status === 429 ? { 'retry-after': '1' } : {}).end();
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/socialsync`,
    received,
    answerWith: (statuses) => queued.push(...statuses),
    setDown: (value) => {
      down = value;
      if (value) server.closeIdleConnections();
    },
    setDelay: (ms) => (delayMs = ms),
    maxInFlight: () => peak,
    resetPeak: () => {
      peak = inFlight;
    },
    accepted: () => {
      const seen = new Set<string>();
      const events = [];
      for (const request of received) {
        if (request.status >= 300) continue;
        const body = JSON.parse(request.body);
        if (seen.has(body.id)) continue;
        seen.add(body.id);
        events.push(body);
      }
      return events;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
