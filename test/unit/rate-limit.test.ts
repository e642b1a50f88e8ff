import { describe, expect, it } from 'vitest';
import { createInMemoryDemo, demoConfig, type InMemoryDemo } from '../helpers/in-memory-demo.js';
import { hs256Auth, makeToken } from '../helpers/tokens.js';

/** Rate limits over gateway.fetch(): the client IP comes from X-Forwarded-For (server.trustProxy). */
function withLimits(rules: unknown[], extra: (raw: Record<string, unknown>) => void = () => {}) {
  return (raw: Record<string, unknown>) => {
    raw['server'] = { ...(raw['server'] as object), trustProxy: true };
    raw['rateLimits'] = rules;
    raw['abuse'] = { enabled: false };
    extra(raw);
  };
}

async function ask(demo: InMemoryDemo, query: string, headers: Record<string, string>) {
  return demo.query(query, { headers });
}

describe('rate limits', () => {
  it('by ip: the third request in the window from one address is refused with 429 and the headers; another address is not', async () => {
    await using demo = await createInMemoryDemo({ edit: withLimits([{ by: 'ip', points: 2, windowSeconds: 60 }]) });
    const a = { 'x-forwarded-for': '10.0.0.1' };
    const first = await ask(demo, '{ __typename }', a);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    expect((await ask(demo, '{ __typename }', a)).headers.get('ratelimit-remaining')).toBe('0');
    const refused = await ask(demo, '{ order(id: "1") { id } }', a);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit-limit')).toBe('2');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.body.errors![0]).toMatchObject({
      message: expect.stringMatching(/^Rate limit for this IP address exceeded: 2 requests per 60 s; retry in \d+ s$/),
      extensions: { code: 'RATE_LIMITED', rule: { by: 'ip', points: 2, windowSeconds: 60 } },
    });
    expect(demo.backends.count('orders.getOrder')).toBe(0);
    expect((await ask(demo, '{ __typename }', { 'x-forwarded-for': '10.0.0.2' })).status).toBe(200);
  });

  it('by user: counted per token subject, whatever the address', async () => {
    await using demo = await createInMemoryDemo({ edit: withLimits([{ by: 'user', points: 1, windowSeconds: 60 }], (raw) => void (raw['auth'] = hs256Auth())) });
    const alice = { authorization: `Bearer ${await makeToken({ sub: 'alice' })}` };
    expect((await ask(demo, '{ __typename }', { ...alice, 'x-forwarded-for': '10.0.0.1' })).status).toBe(200);
    const again = await ask(demo, '{ __typename }', { ...alice, 'x-forwarded-for': '10.0.0.9' });
    expect(again.status).toBe(429);
    expect(again.body.errors![0]!.message).toMatch(/this user/);
    expect((await ask(demo, '{ __typename }', { authorization: `Bearer ${await makeToken({ sub: 'bob' })}` })).status).toBe(200);
    // Anonymous requests are not counted by a user rule.
    expect((await ask(demo, '{ __typename }', {})).status).toBe(200);
    expect((await ask(demo, '{ __typename }', {})).status).toBe(200);
  });

  it('by operation: requests that reach the operation are limited per client, whatever they call their GraphQL operation (finding 18)', async () => {
    await using demo = await createInMemoryDemo({ edit: withLimits([{ by: 'operation', operation: 'adjustStock', points: 1, windowSeconds: 60 }]) });
    const adjust = (name: string) => `mutation ${name} { adjustStock(id: "p1", input: { delta: 1 }) { id } }`;
    const a = { 'x-forwarded-for': '10.0.0.1' };
    expect((await ask(demo, adjust('Adjust'), a)).status).toBe(200);
    for (const renamed of [adjust('Sneaky'), 'mutation { adjustStock(id: "p1", input: { delta: 1 }) { id } }', 'mutation { x: adjustStock(id: "p2", input: { delta: 1 }) { id } }']) {
      const refused = await ask(demo, renamed, a);
      expect(refused.status).toBe(429);
      expect(refused.body.errors![0]!.message).toMatch(/operation adjustStock/);
    }
    expect(demo.backends.count('inventory.adjustStock')).toBe(1);
    expect((await ask(demo, 'query Adjust { __typename }', a)).status).toBe(200); // the name alone is nothing
    expect((await ask(demo, adjust('Adjust'), { 'x-forwarded-for': '10.0.0.2' })).status).toBe(200);
  });

  it('by operation: a link that reaches the operation counts too, and a rule may name its source', async () => {
    await using demo = await createInMemoryDemo({ edit: withLimits([{ by: 'operation', operation: 'shipmentsByOrders', source: 'logistics', points: 1, windowSeconds: 60 }]) });
    const a = { 'x-forwarded-for': '10.0.0.1' };
    expect((await ask(demo, '{ order(id: "1") { shipment { status } } }', a)).status).toBe(200);
    expect((await ask(demo, 'query Innocent { order(id: "2") { shipment { status } } }', a)).status).toBe(429);
    expect((await ask(demo, '{ order(id: "1") { id } }', a)).status).toBe(200);
  });

  it('by source: requests reaching the source (a link counts) are limited, others are not', async () => {
    await using demo = await createInMemoryDemo({ edit: withLimits([{ by: 'source', source: 'logistics', points: 1, windowSeconds: 60 }]) });
    const a = { 'x-forwarded-for': '10.0.0.1' };
    expect((await ask(demo, '{ order(id: "1") { shipment { status } } }', a)).status).toBe(200);
    expect((await ask(demo, '{ shipmentByOrder(orderId: "1") { status } }', a)).status).toBe(429);
    expect((await ask(demo, '{ order(id: "1") { id } }', a)).status).toBe(200);
  });

  it('cost-weighted: a rule charges the query cost, so one big list uses the budget many small reads would', async () => {
    await using demo = await createInMemoryDemo({ edit: withLimits([{ by: 'ip', points: 100, windowSeconds: 60, cost: true }]) });
    const a = { 'x-forwarded-for': '10.0.0.1' };
    const small = await ask(demo, '{ products(limit: 1) { id } }', a);
    expect(small.headers.get('ratelimit-remaining')).toBe('98'); // products (1) + 1 × id (1)
    const big = await ask(demo, '{ products(limit: 200) { id } }', a);
    expect(big.status).toBe(429);
  });

  it('changes rules live on reload', async () => {
    await using demo = await createInMemoryDemo({ edit: withLimits([{ by: 'ip', points: 1, windowSeconds: 60 }]) });
    const a = { 'x-forwarded-for': '10.0.0.1' };
    await ask(demo, '{ __typename }', a);
    expect((await ask(demo, '{ __typename }', a)).status).toBe(429);
    await demo.gateway.reload(demoConfig(withLimits([{ by: 'ip', points: 5, windowSeconds: 60 }])));
    expect((await ask(demo, '{ __typename }', a)).status).toBe(200);
    await demo.gateway.reload(demoConfig(withLimits([])));
    for (let i = 0; i < 10; i++) expect((await ask(demo, '{ __typename }', a)).status).toBe(200);
  });

  it('refuses a bad rule at config load', () => {
    expect(() => demoConfig(withLimits([{ by: 'source', source: 'nope', points: 1, windowSeconds: 1 }]))).toThrow(/rateLimits\[0\]\.source: unknown source "nope"/);
    expect(() => demoConfig(withLimits([{ by: 'user', points: 1, windowSeconds: 1 }]))).toThrow(/rateLimits\[0\]: by: user needs auth\.jwt/);
    expect(() => demoConfig(withLimits([{ by: 'ip', points: 0, windowSeconds: 1 }]))).toThrow(/rateLimits\[0\]\.points/);
  });

  it('refuses at load a by: operation rule that names no source operation (a GraphQL operation name, as it once read)', async () => {
    const refused = createInMemoryDemo({ edit: withLimits([{ by: 'operation', operation: 'CreateOrder', points: 1, windowSeconds: 1 }, { by: 'operation', operation: 'product', source: 'logistics', points: 1, windowSeconds: 1 }]) });
    await expect(refused).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      problems: [
        expect.objectContaining({ at: 'rateLimits[0].operation', message: expect.stringMatching(/^no source has an operation "CreateOrder"/) }),
        expect.objectContaining({ at: 'rateLimits[1].operation', message: expect.stringMatching(/^"logistics" has no operation "product"/) }),
      ],
    });
  });
});

describe('the list-aware query cost', () => {
  it('weighs a list by its size argument: limit 100000 is refused, limit 1 runs', async () => {
    await using demo = await createInMemoryDemo();
    const huge = await demo.query('{ products(limit: 100000) { id name } }');
    expect(huge.status).toBe(400);
    expect(huge.body.errors![0]).toMatchObject({ message: expect.stringMatching(/^Query cost 200001 exceeds the limit of 20000/), extensions: { code: 'QUERY_TOO_COMPLEX', cost: 200001, maxCost: 20000 } });
    expect(demo.backends.count('inventory.products')).toBe(0);
    expect((await demo.query('{ products(limit: 1) { id name } }')).status).toBe(200);
    // The size may come from a variable.
    const viaVariable = await demo.query('query ($n: Int) { products(limit: $n) { id } }', { variables: { n: 50_000 } });
    expect(viaVariable.status).toBe(400);
  });
});
