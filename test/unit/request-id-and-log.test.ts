import { describe, expect, it } from 'vitest';
import { TransportError } from '../../src/sources/types.js';
import { capturingLogger } from '../helpers/capturing-logger.js';
import { createInMemoryDemo } from '../helpers/in-memory-demo.js';

const SEED = 'query Seed { order(id: "1") { id products { id } shipment { status } } }';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('x-request-id and the request log line', () => {
  it('echoes a valid id, sends it to every backend and logs it with what the request did', async () => {
    const log = capturingLogger();
    await using demo = await createInMemoryDemo({ gateway: { logger: log.logger } });
    const seen: Record<string, string | undefined> = {};
    for (const key of ['orders.getOrder', 'inventory.productsByIds', 'logistics.shipmentsByOrders']) {
      const [source, field] = key.split('.') as [string, string];
      demo.backends.answer(key, (args, call) => {
        seen[source] = call.headers['x-request-id'];
        if (source === 'logistics') throw new TransportError('unavailable', 'connection refused');
        return field === 'getOrder' ? { id: '1', customerId: 'c', productIds: ['p1'] } : [{ id: 'p1', name: 'x', price: 1, stock: 1 }];
      });
    }
    const response = await demo.query(SEED, { headers: { 'x-request-id': 'client-req:42' } });
    expect(response.headers.get('x-request-id')).toBe('client-req:42');
    expect(seen).toEqual({ orders: 'client-req:42', inventory: 'client-req:42', logistics: 'client-req:42' });
    expect(log.requests()).toEqual([
      expect.objectContaining({
        requestId: 'client-req:42',
        operation: 'Seed',
        type: 'query',
        status: 200,
        outcome: 'SOURCE_UNAVAILABLE',
        sources: ['orders', 'inventory', 'logistics'],
        errors: ['SOURCE_UNAVAILABLE'],
        durationMs: expect.any(Number),
      }),
    ]);
  });

  it('generates an id when none or an invalid one is given, on every response, GraphQL or not', async () => {
    const log = capturingLogger();
    await using demo = await createInMemoryDemo({ gateway: { logger: log.logger } });
    const absent = await demo.query('{ order(id: "1") { id } }');
    expect(absent.headers.get('x-request-id')).toMatch(UUID);
    for (const invalid of ['has space', 'x'.repeat(129), 'quote"d', '']) {
      const response = await demo.query('{ order(id: "1") { id } }', { headers: { 'x-request-id': invalid } });
      expect(response.headers.get('x-request-id'), invalid).toMatch(UUID);
    }
    for (const path of ['/healthz', '/metrics', '/admin']) {
      const response = await demo.gateway.fetch(`http://gateway.test${path}`, { headers: { 'x-request-id': 'probe-1' } });
      expect(response.headers.get('x-request-id'), path).toBe('probe-1');
    }
    // Only GraphQL requests get a log line, each with its own id.
    const ids = log.requests().map((l) => l['requestId']);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect(log.requests()[0]).toMatchObject({ operation: null, outcome: 'ok', sources: ['orders'] });
  });

  it('logs a sample of the requests (sample 0.25: every fourth), and every request with a problem', async () => {
    const log = capturingLogger();
    await using demo = await createInMemoryDemo({
      edit: (raw) => void (raw['telemetry'] = { requestLog: { sample: 0.25 } }),
      gateway: { logger: log.logger },
    });
    for (let i = 0; i < 20; i++) await demo.query('{ order(id: "1") { id } }');
    demo.backends.answer('orders.getOrder', () => {
      throw new TransportError('unavailable', 'down');
    });
    await demo.query('{ order(id: "9") { id } }');
    expect(log.requests().map((l) => l['outcome'])).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'SOURCE_UNAVAILABLE']);
  });

  it('logs no request line at all when the sample is 0 and problems are not forced', async () => {
    const log = capturingLogger();
    await using demo = await createInMemoryDemo({
      edit: (raw) => void (raw['telemetry'] = { requestLog: { sample: 0, alwaysLogProblems: false } }),
      gateway: { logger: log.logger },
    });
    demo.backends.answer('orders.getOrder', () => {
      throw new TransportError('unavailable', 'down');
    });
    await demo.query('{ order(id: "1") { id } }');
    expect(log.requests()).toEqual([]);
  });
});

describe('what counts as a GraphQL request', () => {
  it('leaves GraphiQL\'s page out, and counts a refused body by its status', async () => {
    const log = capturingLogger();
    await using demo = await createInMemoryDemo({ gateway: { logger: log.logger } });
    const page = await demo.gateway.fetch('http://gateway.test/graphql', { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toContain('text/html');
    const tooLarge = await demo.gateway.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ order(id: "1") { id } } #${'x'.repeat(1_100_000)}` }),
    });
    expect(tooLarge.status).toBe(413);
    expect(log.requests().map((l) => [l['status'], l['outcome']])).toEqual([[413, 'BAD_REQUEST']]);
  });
});
