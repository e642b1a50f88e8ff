import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { createInMemoryDemo, rawSource, type InMemoryDemo } from '../helpers/in-memory-demo.js';

/**
 * graphql-ws over a real socket: the upgrade has no CORS preflight and carries the browser's cookies, so the
 * HTTP surface's CORS/CSRF rules apply at the upgrade, and its size and token limits to each message (finding 4).
 */
const STOCK = 'mutation { adjustStock(id: "1", input: { delta: -5 }) { id stock } }';
const COOKIE_ECHO = '{ product(id: "1") { id name } }';

interface Opened {
  readonly socket: WebSocket;
  /** The next message the gateway sends, parsed. */
  next(): Promise<{ type: string; id?: string; payload?: unknown }>;
  closed: Promise<number>;
}

/** Opens a graphql-transport-ws socket with these handshake headers; rejects with the status of a refused upgrade. */
function open(url: string, headers: Record<string, string>): Promise<Opened> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
  const queue: string[] = [];
  const waiting: ((text: string) => void)[] = [];
  socket.on('message', (data) => {
    const text = String(data);
    const taker = waiting.shift();
    if (taker) taker(text);
    else queue.push(text);
  });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  const next = () => new Promise<string>((resolve) => (queue.length > 0 ? resolve(queue.shift()!) : waiting.push(resolve))).then((text) => JSON.parse(text) as { type: string; id?: string; payload?: unknown });
  return new Promise((resolve, reject) => {
    socket.once('open', async () => {
      socket.send(JSON.stringify({ type: 'connection_init' }));
      expect((await next()).type).toBe('connection_ack');
      resolve({ socket, next, closed });
    });
    socket.once('unexpected-response', (_request, response) => reject(Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode })));
    socket.once('error', reject);
  });
}

describe('graphql-ws: origins, credentials and limits', () => {
  let demo: InMemoryDemo | undefined;
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    await demo?.[Symbol.asyncDispose]();
    server = undefined;
    demo = undefined;
  });

  async function start(cors: Record<string, unknown>, limits: Record<string, unknown> = {}) {
    demo = await createInMemoryDemo({
      edit: (raw) => {
        (raw['server'] as Record<string, unknown>)['cors'] = cors;
        raw['limits'] = limits;
        rawSource(raw, 'inventory')['forwardHeaders'] = ['cookie'];
      },
    });
    // The product's name says which cookie reached the backend.
    demo.backends.answer('inventory.product', (args, call) => ({ id: String(args['id']), name: call.headers['cookie'] ?? 'no cookie', price: 1, stock: 1 }));
    server = await listen(demo.gateway, { port: 0, host: '127.0.0.1' });
    return server;
  }

  async function run(opened: Opened, query: string) {
    opened.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
    return opened.next();
  }

  it('refuses an upgrade from a page of an origin the CORS settings do not list, before any operation runs', async () => {
    const { url } = await start({ origins: ['https://app.example'], credentials: true });
    await expect(open(url, { origin: 'https://evil.example', cookie: 'session=victim' })).rejects.toMatchObject({ status: 403 });
    await expect(open(url, { origin: 'null', cookie: 'session=victim' })).rejects.toMatchObject({ status: 403 });
    expect(demo!.backends.count('inventory.adjustStock')).toBe(0);
  });

  it('lets a listed origin act with its credentials, the gateway\'s own origin too, and a client without Origin (not a browser)', async () => {
    const { url, origin } = await start({ origins: ['https://app.example'], credentials: true });
    for (const headers of [{ origin: 'https://app.example' }, { origin }, {}]) {
      const opened = await open(url, { ...headers, cookie: 'session=alice' });
      expect(await run(opened, COOKIE_ECHO)).toMatchObject({ type: 'next', payload: { data: { product: { id: '1', name: 'session=alice' } } } });
      opened.socket.close();
    }
  });

  it('relays no cookie for an origin allowed without credentials (listed with credentials: false, or under *)', async () => {
    for (const cors of [{ origins: ['https://app.example'], credentials: false }, { origins: ['*'] }]) {
      const { url } = await start(cors);
      const opened = await open(url, { origin: 'https://app.example', cookie: 'session=alice' });
      expect(await run(opened, COOKIE_ECHO)).toMatchObject({ type: 'next', payload: { data: { product: { name: 'no cookie' } } } });
      opened.socket.close();
      await server!.close();
      await demo![Symbol.asyncDispose]();
      server = undefined;
      demo = undefined;
    }
  });

  it('closes the socket (1009) on a message over limits.maxBodyBytes, before parsing it', async () => {
    const { url } = await start({ origins: [] }, { maxBodyBytes: 20_000 });
    const opened = await open(url, {});
    opened.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ ${'__typename '.repeat(3_000)}}` } }));
    expect(await opened.closed).toBe(1009);
  });

  it('refuses a document over limits.maxTokens with QUERY_TOO_COMPLEX before relaying it', async () => {
    const { url } = await start({ origins: [] }, { maxTokens: 100 });
    let relayed = 0;
    server!.server.prependListener('request', () => relayed++);
    const opened = await open(url, {});
    const answer = await run(opened, `{ ${'__typename '.repeat(200)}}`);
    expect(answer).toMatchObject({ type: 'error', id: '1', payload: [{ extensions: { code: 'QUERY_TOO_COMPLEX' } }] });
    expect(relayed).toBe(0);
    expect(await run(opened, '{ __typename }')).toMatchObject({ type: 'next', payload: { data: { __typename: 'Query' } } });
  });
});
