import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DELIVERY_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from '../../webhooks/signed-post';

export interface DevWebhooks {
  /** NOTIFY_WEBHOOK_URL and NOTIFY_WEBHOOK_SECRET for the worker, when the receiver runs. */
  env: Record<string, string>;
  /** Where accepted requests are appended (one JSON object a line); null with a configured URL. */
  file: string | null;
  source: string;
  stop(): Promise<void>;
}

/** What docs/webhooks.md tells receivers: refuse a request signed more than 5 minutes ago. */
const MAX_AGE_MS = 5 * 60_000;

/**
 * `npm run dev` without NOTIFY_WEBHOOK_URL: a small receiver on 127.0.0.1 that checks each request as
 * docs/webhooks.md tells receivers to (signature, sentAt, delivery id), drops repeats by
 * X-Socialsync-Delivery and appends what it accepted to `<DATA_DIR>/webhook-events.jsonl`, so data events
 * and notifications can be watched with `tail -f`. With the variable set, the configured receiver is used.
 */
export async function provideDevWebhookReceiver(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): Promise<DevWebhooks> {
  if (env.NOTIFY_WEBHOOK_URL) {
    return {
      env: {},
      file: null,
      source: `${env.NOTIFY_WEBHOOK_URL} (NOTIFY_WEBHOOK_URL)`,
      stop: async () => {},
    };
  }
  const secret = env.NOTIFY_WEBHOOK_SECRET || randomBytes(24).toString('base64url');
  const file = path.join(dataDir, 'webhook-events.jsonl');
  fs.mkdirSync(dataDir, { recursive: true });
  const server = createDevReceiver({ secret, file });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  return {
    env: { NOTIFY_WEBHOOK_URL: url, NOTIFY_WEBHOOK_SECRET: secret },
    file,
    source: `local receiver ${url}, events written to ${file}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function createDevReceiver(options: { secret: string; file: string }): http.Server {
  const seen = new Set<string>();
  return http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const delivery = String(request.headers[DELIVERY_HEADER] ?? '');
      const event = readVerified(body, request.headers, options.secret);
      if (!event || event.id !== delivery) {
        response.writeHead(401, { 'content-type': 'text/plain' }).end('bad signature or stale request\n');
        return;
      }
      try {
        if (!seen.has(delivery)) {
          fs.appendFileSync(
            options.file,
            `${JSON.stringify({ receivedAt: new Date().toISOString(), ...event })}\n`,
          );
          seen.add(delivery);
        }
        response.writeHead(204).end();
      } catch {
        // The file cannot be written (disk full, folder removed): a 500 and a retry, not a crashed dev stack.
        response.writeHead(500, { 'content-type': 'text/plain' }).end('could not record the event\n');
      }
    });
  });
}

function readVerified(
  body: string,
  headers: http.IncomingHttpHeaders,
  secret: string,
): { id: string; sentAt: string } | null {
  if (!verifyWebhookSignature(body, secret, headers[SIGNATURE_HEADER] as string | undefined)) return null;
  try {
    const event = JSON.parse(body) as { id: string; sentAt: string };
    return Math.abs(Date.now() - Date.parse(event.sentAt)) <= MAX_AGE_MS ? event : null;
  } catch {
    return null;
  }
}
