import type { Outcome } from '../core/request-log';
import type { SimReply, SimRequest } from './types';

/** Small helpers for reading simulated requests and writing replies. */

export function jsonReply(
  status: number,
  body: unknown,
  outcome: Outcome,
  headers?: Record<string, string>,
): SimReply {
  return { status, body: JSON.stringify(body), outcome, headers };
}

/** Form fields of a urlencoded or multipart body (Meta's docs use curl -F, clients often urlencode). */
export function readForm(req: SimRequest): URLSearchParams | null {
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('application/x-www-form-urlencoded'))
    return new URLSearchParams(req.body.toString('utf8'));
  const boundary = /multipart\/form-data;.*boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!boundary) return null;
  const form = new URLSearchParams();
  for (const part of req.body.toString('utf8').split(`--${boundary}`)) {
    const match = /name="([^"]+)"\r?\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)\r?\n$/.exec(
      part.replace(/^\r?\n/, ''),
    );
    if (match) form.append(match[1], match[2]);
  }
  return form;
}

export function bearerToken(req: SimRequest): string | null {
  const header = String(req.headers.authorization ?? '');
  return header.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : null;
}
