import { createClient } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startDemoGateway } from '../helpers/demo-gateway.js';

describe('graphql-ws and the access layer', () => {
  it('counts operations over a WebSocket under the client\'s own address, like its HTTP requests', async () => {
    await using demo = await startDemoGateway({
      edit: (raw) => {
        raw['rateLimits'] = [{ by: 'ip', points: 2, windowSeconds: 600 }];
        raw['abuse'] = { enabled: false };
      },
    });
    const client = createClient({ url: demo.server.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const first = await client.iterate({ query: '{ order(id: "1") { id } }' }).next();
      expect(first.value).toEqual({ data: { order: { id: '1' } } });
      // The second request of 127.0.0.1 comes over HTTP; the third, over the WebSocket again, is refused.
      expect((await demo.query('{ __typename }')).status).toBe(200);
      const third = await client.iterate({ query: '{ order(id: "1") { id } }' }).next();
      expect(third.value).toMatchObject({ errors: [{ extensions: { code: 'RATE_LIMITED', rule: { by: 'ip' } } }] });
    } finally {
      await client.dispose();
    }
  });
});
