import type { Context } from 'koa';
import { createClientIpResolver } from '../../src/http/middleware/client-ip';

function ctxFrom(peer: string, forwardedFor?: string): Context {
  return {
    req: { socket: { remoteAddress: peer } },
    get: (name: string) => (name.toLowerCase() === 'x-forwarded-for' ? (forwardedFor ?? '') : ''),
  } as unknown as Context;
}

describe('client IP from TRUST_PROXY', () => {
  it.each(['false', '', '0'])('TRUST_PROXY=%j: the socket peer, whatever X-Forwarded-For says', (setting) => {
    const resolve = createClientIpResolver(setting);
    expect(resolve(ctxFrom('198.51.100.9', '1.2.3.4'))).toBe('198.51.100.9');
    expect(resolve(ctxFrom('::ffff:127.0.0.1', '1.2.3.4'))).toBe('127.0.0.1');
  });

  it('a hop count takes the address the outermost trusted proxy saw, ignoring what the client prepended', () => {
    const one = createClientIpResolver('1');
    expect(one(ctxFrom('10.0.0.2', 'forged, 1.2.3.4, 203.0.113.7'))).toBe('203.0.113.7');
    expect(one(ctxFrom('10.0.0.2'))).toBe('10.0.0.2');
    const two = createClientIpResolver('2');
    expect(two(ctxFrom('10.0.0.2', '9.9.9.9, 203.0.113.7, 10.0.0.1'))).toBe('203.0.113.7');
    expect(createClientIpResolver('true')(ctxFrom('10.0.0.2', '1.1.1.1, 203.0.113.7'))).toBe('203.0.113.7');
  });

  it('a CIDR list walks from the right over trusted proxies to the first untrusted address', () => {
    const resolve = createClientIpResolver('10.0.0.0/8, 192.168.1.7');
    expect(resolve(ctxFrom('10.1.2.3', '6.6.6.6, 203.0.113.7, 192.168.1.7'))).toBe('203.0.113.7');
    // The peer itself is not trusted: X-Forwarded-For is not looked at.
    expect(resolve(ctxFrom('198.51.100.1', '203.0.113.7'))).toBe('198.51.100.1');
    expect(resolve(ctxFrom('10.1.2.3', 'garbage, 203.0.113.8'))).toBe('203.0.113.8');
  });

  it('refuses a setting that is neither false, a hop count nor addresses', () => {
    expect(() => createClientIpResolver('loopback')).toThrow(/TRUST_PROXY/);
  });
});
