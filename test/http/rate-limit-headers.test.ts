import Koa from 'koa';
import { appendRateLimitHeaders } from '../../src/http/rate-limit/headers';
import { describeWindow } from '../../src/http/rate-limit/policies';

describe('IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers-11 syntax)', () => {
  it('appends one quoted-policy list item per limiter', () => {
    const app = new Koa();
    const ctx = app.createContext(
      { headers: {}, socket: {} } as never,
      { setHeader() {}, getHeader() {} } as never,
    );
    const headers: Record<string, string> = {};
    ctx.set = ((name: string, value: string) => (headers[name.toLowerCase()] = value)) as never;
    ctx.response.get = ((name: string) => headers[name.toLowerCase()] ?? '') as never;
    appendRateLimitHeaders(ctx, 'general', {
      max: 100,
      windowSeconds: 900,
      remaining: 97,
      resetInSeconds: 840,
    });
    appendRateLimitHeaders(ctx, 'auth', { max: 5, windowSeconds: 900, remaining: -1, resetInSeconds: 12 });
    expect(headers['ratelimit-policy']).toBe('"general";q=100;w=900, "auth";q=5;w=900');
    expect(headers.ratelimit).toBe('"general";r=97;t=840, "auth";r=0;t=12');
  });

  it('describes windows the way the README table does', () => {
    expect(describeWindow(900)).toBe('15 min');
    expect(describeWindow(3600)).toBe('hour');
    expect(describeWindow(300)).toBe('5 min');
    expect(describeWindow(86_400)).toBe('day');
    expect(describeWindow(45)).toBe('45 s');
  });
});
