import { describe, expect, it } from 'vitest';
import { listen } from '../../src/server/listen.js';
import { createInMemoryDemo } from '../helpers/in-memory-demo.js';

/**
 * server.trustProxy over a real socket, whose peer (127.0.0.1) plays the proxy: a client behind it cannot pick
 * its own address by writing X-Forwarded-For, so it cannot step around a `by: ip` limit (finding 12).
 */
describe('the client address behind a trusted proxy, over a socket', () => {
  async function gatewayTrusting(trustProxy: unknown) {
    const demo = await createInMemoryDemo({
      edit: (raw) => {
        raw['server'] = { ...(raw['server'] as object), trustProxy };
        raw['rateLimits'] = [{ by: 'ip', points: 2, windowSeconds: 60 }];
        raw['abuse'] = { enabled: false };
      },
    });
    const server = await listen(demo.gateway, { port: 0, host: '127.0.0.1' });
    const status = async (forwardedFor: string) =>
      (await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor }, body: JSON.stringify({ query: '{ __typename }' }) })).status;
    return {
      status,
      async [Symbol.asyncDispose]() {
        await server.close();
        await demo[Symbol.asyncDispose]();
      },
    };
  }

  it('counts a client by the address the trusted proxy appended, whatever it wrote before it', async () => {
    await using gateway = await gatewayTrusting(['127.0.0.1']);
    expect(await gateway.status('1.1.1.1, 203.0.113.5')).toBe(200);
    expect(await gateway.status('2.2.2.2, 203.0.113.5')).toBe(200);
    expect(await gateway.status('3.3.3.3, 203.0.113.5')).toBe(429);
    expect(await gateway.status('203.0.113.6')).toBe(200); // another client behind the same proxy
  });

  it('with trustProxy: true (one proxy), the same: the address it appended, not the one the client wrote', async () => {
    await using gateway = await gatewayTrusting(true);
    expect(await gateway.status('1.1.1.1, 203.0.113.5')).toBe(200);
    expect(await gateway.status('2.2.2.2, 203.0.113.5')).toBe(200);
    expect(await gateway.status('3.3.3.3, 203.0.113.5')).toBe(429);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    await using gateway = await gatewayTrusting(['10.0.0.0/8']);
    expect(await gateway.status('203.0.113.1')).toBe(200);
    expect(await gateway.status('203.0.113.2')).toBe(200);
    expect(await gateway.status('203.0.113.3')).toBe(429); // all three are 127.0.0.1
  });
});
