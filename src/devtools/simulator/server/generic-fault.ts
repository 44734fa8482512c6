import type { FaultAction } from '../core/faults';
import type { Random } from '../core/random';
import type { SimReply } from './types';

/** Bare gateway errors and truncated bodies look the same on every host. */
export function genericFault(action: FaultAction, random: Random): SimReply {
  if (action.type === 'malformed') {
    return { status: 200, body: '{"data":[{"id":"17895695668004550","caption":"trunc', outcome: 'malformed' };
  }
  const status = random() < 0.5 ? 502 : 503;
  const text = status === 502 ? 'Bad Gateway' : 'Service Unavailable';
  return {
    status,
    body: `<html><body><h1>${status} ${text}</h1></body></html>`,
    outcome: 'error',
    headers: { 'content-type': 'text/html' },
  };
}
