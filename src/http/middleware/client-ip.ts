import net from 'node:net';
import type { Context } from 'koa';

/**
 * TRUST_PROXY decides where the client address comes from:
 * - `false` (default): the socket's peer address; X-Forwarded-For is ignored, so forging it changes nothing.
 * - a hop count `N` (or `true` = 1): that many proxies in front of us each appended one address; the client is
 *   the N-th address from the right (anything further left was written by the client and is not trusted).
 * - a CIDR/IP list (`10.0.0.0/8,192.168.1.7`): walk X-Forwarded-For from the right while the hop is a trusted
 *   proxy; the first untrusted address is the client.
 */
export type ClientIpResolver = (ctx: Context) => string;

export function createClientIpResolver(trustProxy: string): ClientIpResolver {
  const setting = trustProxy.trim().toLowerCase();
  if (setting === '' || setting === 'false' || setting === '0') return peerAddress;
  if (setting === 'true') return hopCountResolver(1);
  if (/^\d+$/.test(setting)) return hopCountResolver(Number(setting));
  return trustedNetworksResolver(parseTrustedNetworks(trustProxy));
}

function peerAddress(ctx: Context): string {
  return normalizeIp(ctx.req.socket.remoteAddress ?? '');
}

function forwardedChain(ctx: Context): string[] {
  const header = ctx.get('X-Forwarded-For');
  return header
    .split(',')
    .map((part) => normalizeIp(part.trim()))
    .filter((part) => net.isIP(part) !== 0);
}

function hopCountResolver(hops: number): ClientIpResolver {
  return (ctx) => {
    // The peer is the nearest proxy; the chain is [client?, ..., proxy N-1]: the last `hops` entries were
    // appended by trusted proxies and the left-most of those is what the outermost proxy saw.
    const chain = [...forwardedChain(ctx), peerAddress(ctx)];
    return chain[Math.max(0, chain.length - 1 - hops)];
  };
}

function trustedNetworksResolver(trusted: net.BlockList): ClientIpResolver {
  const isTrusted = (ip: string) => trusted.check(ip, net.isIPv6(ip) ? 'ipv6' : 'ipv4');
  return (ctx) => {
    const chain = [...forwardedChain(ctx), peerAddress(ctx)];
    for (let index = chain.length - 1; index > 0; index--) {
      if (!isTrusted(chain[index])) return chain[index];
    }
    return chain[0];
  };
}

export function parseTrustedNetworks(list: string): net.BlockList {
  const blockList = new net.BlockList();
  for (const entry of list
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [address, prefix] = entry.split('/');
    const family = net.isIP(address);
    if (family === 0)
      throw new Error(`TRUST_PROXY: "${entry}" is neither false, a hop count, an IP nor a CIDR`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) blockList.addAddress(address, type);
    else blockList.addSubnet(address, Number(prefix), type);
  }
  return blockList;
}

/** `::ffff:127.0.0.1` (IPv4 on a dual-stack socket) is 127.0.0.1. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}
