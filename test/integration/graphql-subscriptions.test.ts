import { EventEmitter, once } from 'node:events';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { validateConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/server/create-gateway.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { startGraphqlRemote, type GraphqlRemote } from '../helpers/graphql-remote.js';
import { takeThenLeave } from '../helpers/sse-client.js';

const TYPE_DEFS = `
  type Query { ok: Boolean }
  type Subscription { ticks(from: Int!): Tick! }
  type Tick { n: Int!  label: String! }
`;

/**
 * A remote source stream: two ticks at once, then it waits for more that never come. Its `return()` (what the
 * remote's GraphQL server calls when its client goes away) is reported, so cancellation is observed at the remote.
 */
function ticks(events: EventEmitter, from: number): AsyncIterableIterator<{ ticks: { n: number; label: string } }> {
  let n = from;
  let waiting: ((result: IteratorResult<never>) => void) | undefined;
  let finished = false;
  events.emit('opened', from);
  return {
    next() {
      if (finished) return Promise.resolve({ done: true, value: undefined });
      if (n < from + 2) return Promise.resolve({ done: false, value: { ticks: { n, label: `tick ${n++}` } } });
      return new Promise((resolve) => (waiting = resolve));
    },
    return() {
      finished = true;
      events.emit('cancelled', from);
      waiting?.({ done: true, value: undefined as never });
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

describe.each(['sse', 'graphql-ws'] as const)('a remote subscription over %s', (protocol) => {
  const events = new EventEmitter();
  let remote: GraphqlRemote;
  let gateway: Gateway;
  let server: RunningServer;
  beforeAll(async () => {
    remote = await startGraphqlRemote({
      typeDefs: TYPE_DEFS,
      resolvers: { Query: { ok: () => true }, Subscription: { ticks: { subscribe: (_: unknown, { from }: { from: number }) => ticks(events, from) } } },
    });
    gateway = await createGateway(
      validateConfig({ sources: [{ name: 'clock', kind: 'graphql', endpoints: [remote.url], subscriptions: protocol, rename: { ticks: 'clockTicks' } }] }, join(import.meta.dirname, 'inline.yaml')),
    );
    server = await listen(gateway, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server?.close();
    await gateway?.[Symbol.asyncDispose]();
    await remote?.close();
  });

  it('streams through the gateway over SSE and is cancelled at the remote when the client goes away', async () => {
    const controller = new AbortController();
    const cancelled = once(events, 'cancelled');
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { clockTicks(from: 10) { n label } }' }),
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const received = await takeThenLeave(response, 2, controller);
    expect(received).toEqual([{ data: { clockTicks: { n: 10, label: 'tick 10' } } }, { data: { clockTicks: { n: 11, label: 'tick 11' } } }]);
    expect(await cancelled).toEqual([10]);
  });

  it('streams through the gateway over graphql-ws and is cancelled at the remote when the client completes', async () => {
    const client = createClient({ url: server.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const cancelled = once(events, 'cancelled');
      const subscription = client.iterate<{ clockTicks: { n: number } }>({ query: 'subscription { clockTicks(from: 20) { n } }' });
      const first = await subscription.next();
      const second = await subscription.next();
      expect([first.value, second.value]).toEqual([{ data: { clockTicks: { n: 20 } } }, { data: { clockTicks: { n: 21 } } }]);
      await subscription.return?.(undefined);
      expect(await cancelled).toEqual([20]);
    } finally {
      await client.dispose();
    }
  });
});
