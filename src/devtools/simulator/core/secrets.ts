import { randomBytes } from 'node:crypto';

/**
 * Token and code strings. Random (not seeded): they must be unguessable across runs and distinctive
 * enough that a leak test can search logs for them. Prefixes follow the docs' examples only.
 */
export function newSecret(prefix: string, bytes = 24): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

/** TikTok codes and tokens contain `*` and `!` (docs/platforms.md#tiktok-pitfalls): clients that do not URL-decode trip on them. */
export function newTikTokSecret(prefix: string): string {
  const body = randomBytes(24).toString('hex');
  return `${prefix}${body.slice(0, 20)}*${body.slice(20, 24)}!${body.slice(24)}`;
}

let traceCounter = 0;

/** Meta's fbtrace_id: short, opaque. */
export function newFbTraceId(): string {
  traceCounter = (traceCounter + 1) % 1_000_000;
  return `Sim${randomBytes(6).toString('base64url')}${traceCounter.toString(36)}`;
}

/** TikTok's log_id: a timestamp followed by hex, e.g. 20220829194722CBE87ED59D524E727021. */
export function newLogId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${stamp}${randomBytes(10).toString('hex').toUpperCase()}`;
}
