import { BlockList, isIP } from 'node:net';
import { parseAddressRange } from '../config/address-range.js';

/**
 * `server.trustProxy`: false (the socket's peer is the client), true or a number of proxies in front of the
 * gateway, or the addresses and CIDR ranges of the proxies trusted to append to `X-Forwarded-For`.
 */
export type TrustProxy = boolean | number | readonly string[];

const compiled = new WeakMap<readonly string[], BlockList>();

function blockListOf(ranges: readonly string[]): BlockList {
  let list = compiled.get(ranges);
  if (!list) {
    list = new BlockList();
    for (const text of ranges) {
      const range = parseAddressRange(text);
      if (range) list.addSubnet(range.address, range.prefix, range.family);
    }
    compiled.set(ranges, list);
  }
  return list;
}

/** An address as a proxy writes it, without brackets or port, an IPv4-mapped IPv6 address as IPv4. */
function normalized(text: string): string {
  let address = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/**
 * The client's address. A proxy appends the address it received a request from to `X-Forwarded-For`, so only the
 * addresses appended by proxies the gateway trusts are true; whatever is left of them the client wrote itself:
 *  - `false`: the socket's peer; `X-Forwarded-For` is ignored;
 *  - `true` or `n`: `n` proxies (`true`: one) stand in front of the gateway: the `n`-th address from the right
 *    (the leftmost when there are fewer);
 *  - a list: from the socket's peer leftwards, the first address that is not a trusted proxy (a peer that is not
 *    one means `X-Forwarded-For` came from the client: the peer it is). Without a socket (`gateway.fetch()`), the
 *    chain starts at `X-Forwarded-For`'s last address.
 * Never the first address: that one is whatever the client chose.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | null, trust: TrustProxy): string {
  const socket = peer === undefined ? undefined : normalized(peer);
  if (trust === false || trust === 0) return socket ?? 'unknown';
  const hops = (forwardedFor ?? '').split(',').map(normalized).filter((hop) => hop !== '');
  if (hops.length === 0) return socket ?? 'unknown';
  if (typeof trust === 'boolean' || typeof trust === 'number') return hops[Math.max(0, hops.length - (trust === true ? 1 : trust))]!;
  const list = blockListOf(trust);
  const trusted = (address: string) => {
    const version = isIP(address);
    return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  };
  if (socket !== undefined && !trusted(socket)) return socket;
  for (let i = hops.length - 1; i >= 0; i--) if (!trusted(hops[i]!)) return hops[i]!;
  return hops[0]!;
}
