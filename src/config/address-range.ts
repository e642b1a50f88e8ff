import { isIP } from 'node:net';

/** One entry of `server.trustProxy`'s list: an address (`192.168.1.7`, `::1`) or a CIDR range (`10.0.0.0/8`, `fd00::/8`). */
export interface AddressRange {
  readonly address: string;
  /** Bits of the prefix: 32 (IPv4) or 128 (IPv6) for a single address. */
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** The range `text` names, or undefined when it is no IP address or CIDR range. */
export function parseAddressRange(text: string): AddressRange | undefined {
  const [address, prefixText, extra] = text.trim().split('/');
  if (extra !== undefined || address === undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= bits)) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}
