import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../src/security/client-address.js';
import { demoConfig, demoConfigProblems } from '../helpers/in-memory-demo.js';

/** Which address is the client's behind proxies that append to X-Forwarded-For (finding 12). */
describe('the client address under server.trustProxy', () => {
  it('is never the leftmost X-Forwarded-For address, which the client writes itself', () => {
    // The client sent "X-Forwarded-For: 6.6.6.6"; the one proxy in front appended the address it saw.
    const chain = '6.6.6.6, 203.0.113.5';
    expect(clientAddress('10.0.0.2', chain, true)).toBe('203.0.113.5');
    expect(clientAddress('10.0.0.2', chain, 1)).toBe('203.0.113.5');
    // Two proxies: the second appended the first's address.
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.5, 10.0.0.1', 2)).toBe('203.0.113.5');
    expect(clientAddress('10.0.0.2', '203.0.113.5', 3)).toBe('203.0.113.5'); // fewer hops than proxies: the leftmost
    expect(clientAddress('10.0.0.2', chain, false)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', null, true)).toBe('10.0.0.2');
    expect(clientAddress(undefined, null, true)).toBe('unknown');
  });

  it('with a list of proxies, is the rightmost address that is not one of them, or the peer when the peer is not one', () => {
    const proxies = ['10.0.0.0/8', 'fd00::/8', '192.168.1.7'];
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.5, 10.0.0.1', proxies)).toBe('203.0.113.5');
    expect(clientAddress('::ffff:10.0.0.2', '6.6.6.6, [2001:db8::1]:4711, fd00::3', proxies)).toBe('2001:db8::1');
    expect(clientAddress('192.168.1.7', '6.6.6.6, 203.0.113.5:8080', proxies)).toBe('203.0.113.5');
    // Straight from the client, not through a proxy: its header means nothing.
    expect(clientAddress('203.0.113.9', '6.6.6.6, 10.0.0.1', proxies)).toBe('203.0.113.9');
    // Every hop a proxy: the leftmost.
    expect(clientAddress('10.0.0.2', '10.0.0.5, 10.0.0.1', proxies)).toBe('10.0.0.5');
    // Without a socket (gateway.fetch()): the chain starts at the header.
    expect(clientAddress(undefined, '6.6.6.6, 203.0.113.5', proxies)).toBe('203.0.113.5');
  });

  it('is configured as false, true, a number of proxies or a list of addresses and CIDR ranges; anything else is a located problem', () => {
    const withTrust = (trustProxy: unknown) => (raw: Record<string, unknown>) => void (raw['server'] = { ...(raw['server'] as object), trustProxy });
    expect(demoConfig(withTrust(2)).server.trustProxy).toBe(2);
    expect(demoConfig(withTrust(['10.0.0.0/8', '::1'])).server.trustProxy).toEqual(['10.0.0.0/8', '::1']);
    expect(demoConfigProblems(withTrust(['10.0.0.0/33', 'proxy.internal']))).toEqual([
      expect.stringMatching(/^server\.trustProxy\[0\]: must be an IP address or a CIDR range/),
      expect.stringMatching(/^server\.trustProxy\[1\]: must be an IP address or a CIDR range/),
    ]);
    expect(demoConfigProblems(withTrust(0))).toEqual([expect.stringMatching(/^server\.trustProxy: /)]);
  });
});
