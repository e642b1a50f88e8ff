import { describe, expect, it } from 'vitest';
import { capturingLogger } from '../helpers/capturing-logger.js';
import { SEED_QUERY, startDemoGateway } from '../helpers/demo-gateway.js';

/** The request log line over a real socket: the client's address and the request id it sent. */
describe('the request log line over HTTP', () => {
  it('names the client address, the request id and the sources the request touched', async () => {
    const log = capturingLogger();
    await using demo = await startDemoGateway({ logger: log.logger });
    const answer = await demo.query(SEED_QUERY, { headers: { 'x-request-id': 'http-req-7' } });
    expect(answer.headers.get('x-request-id')).toBe('http-req-7');
    expect(log.requests()).toEqual([
      expect.objectContaining({ requestId: 'http-req-7', clientIp: '127.0.0.1', status: 200, outcome: 'ok', sources: ['orders', 'inventory', 'logistics'] }),
    ]);
  });
});
