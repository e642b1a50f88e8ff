import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createInMemoryDemo } from '../helpers/in-memory-demo.js';

/** A throttled client as the gateway answers it, and the webhook told about it over real HTTP. */
describe('abuse throttling in the gateway', () => {
  it('answers a throttled client 429 with the reason, lists it on the admin API and POSTs the webhook', async () => {
    let delivered!: (event: unknown) => void;
    const received = new Promise<unknown>((resolve) => (delivered = resolve));
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        delivered(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const port = (hook.address() as { port: number }).port;
    const token = 'an-admin-token-of-16+chars';
    await using demo = await createInMemoryDemo({
      edit: (raw) => {
        raw['server'] = { ...(raw['server'] as object), trustProxy: true };
        raw['admin'] = { token };
        raw['abuse'] = { probingMinFailures: 5, throttledPoints: 2, throttledWindowSeconds: 60, webhook: `http://127.0.0.1:${port}/hook` };
      },
    });
    const prober = { 'x-forwarded-for': '10.6.6.6' };
    for (let i = 0; i < 5; i++) expect((await demo.query('{ nope }', { headers: prober })).status).toBe(400);
    // Two requests per minute are still allowed; the third is refused.
    expect((await demo.query('{ __typename }', { headers: prober })).status).toBe(200);
    expect((await demo.query('{ __typename }', { headers: prober })).status).toBe(200);
    const refused = await demo.query('{ __typename }', { headers: prober });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'abnormal_behaviour', kind: 'probing' });
    // Someone else is not affected.
    expect((await demo.query('{ __typename }', { headers: { 'x-forwarded-for': '10.0.0.1' } })).status).toBe(200);

    const listed = await demo.gateway.fetch('http://gateway.test/admin/api/throttled', { headers: { authorization: `Bearer ${token}` } });
    expect(await listed.json()).toEqual({ throttled: [expect.objectContaining({ client: 'ip:10.6.6.6', kind: 'probing', failures: 5 })] });
    const metrics = await (await demo.gateway.fetch('http://gateway.test/metrics')).text();
    expect(metrics).toMatch(/interchange_abuse_events_total\{kind="probing"\} 1/);
    expect(await received).toEqual(expect.objectContaining({ type: 'interchange.client_throttled', client: 'ip:10.6.6.6', kind: 'probing' }));
    hook.close();
  });
});
