import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Outbound webhooks, notifications and data events alike. The receiver verifies
 * `X-Socialsync-Signature: sha256=<hex>`, an HMAC-SHA256 of the exact body bytes with NOTIFY_WEBHOOK_SECRET
 * (the GitHub webhook convention), and can drop duplicates by `X-Socialsync-Delivery` (the notification or
 * event id: a retried delivery repeats it).
 */
export const SIGNATURE_HEADER = 'x-socialsync-signature';
export const DELIVERY_HEADER = 'x-socialsync-delivery';

export function signWebhookBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** Constant-time check, for receivers (and tests) of our webhooks. */
export function verifyWebhookSignature(
  body: string,
  secret: string,
  header: string | undefined | null,
): boolean {
  if (!header) return false;
  const expected = Buffer.from(signWebhookBody(body, secret));
  const actual = Buffer.from(header);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export interface WebhookTarget {
  url: string;
  /** Without a secret the request is sent unsigned (the worker warns about it at start). */
  secret: string | undefined;
  timeoutMs: number;
}

export type WebhookReply =
  | { kind: 'delivered'; status: number }
  /** Worth retrying: 5xx, 408, 429 (with the receiver's Retry-After), timeouts, connection errors. */
  | { kind: 'retry'; reason: string; retryAfterMs: number | null }
  /** Retrying cannot help: the receiver refused the request (4xx). */
  | { kind: 'rejected'; status: number };

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** One signed POST; never throws for HTTP or network problems, it classifies them. */
export async function postSignedWebhook(
  target: WebhookTarget,
  delivery: { id: string; body: string },
  fetchImpl: FetchLike = fetch,
): Promise<WebhookReply> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'socialsync-webhook/1',
    [DELIVERY_HEADER]: delivery.id,
  };
  if (target.secret) headers[SIGNATURE_HEADER] = signWebhookBody(delivery.body, target.secret);
  let response: Response;
  try {
    response = await fetchImpl(target.url, {
      method: 'POST',
      headers,
      body: delivery.body,
      signal: AbortSignal.timeout(target.timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
  } catch (error) {
    const name = (error as Error)?.name;
    return {
      kind: 'retry',
      reason: name === 'TimeoutError' || name === 'AbortError' ? 'TIMEOUT' : 'NETWORK',
      retryAfterMs: null,
    };
  }
  if (response.ok) return { kind: 'delivered', status: response.status };
  if (response.status >= 500 || response.status === 408 || response.status === 429) {
    return {
      kind: 'retry',
      reason: `HTTP_${response.status}`,
      retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
    };
  }
  return { kind: 'rejected', status: response.status };
}

function retryAfterMs(header: string | null): number | null {
  const seconds = header ? Number(header) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}
