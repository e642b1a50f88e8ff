import { describe, expect, it } from 'vitest';
import { abuseSchema } from '../../src/config/access-schema.js';
import { createAbuseDetector } from '../../src/security/abuse-detector.js';
import { createInMemoryDemo, rawSource, type InMemoryDemo } from '../helpers/in-memory-demo.js';
import { parsePrometheusText, sumOf } from '../helpers/prometheus-text.js';
import { hs256Auth, makeToken } from '../helpers/tokens.js';

const settings = abuseSchema.parse({}); // the documented defaults: 10 s intervals, 5 min half-life, ×10 and ≥100 for a burst

describe('abnormal-behaviour detection (fake clock)', () => {
  it('throttles a client bursting to many times its baseline, and not its steady, busier neighbour', () => {
    let now = 1_000_000;
    const detector = createAbuseDetector({ now: () => now });
    const events = [];
    // Ten minutes: the steady client makes 300 requests per 10 s interval, the other 10.
    for (let interval = 0; interval < 60; interval++) {
      for (let i = 0; i < 300; i++) events.push(detector.record('ip:steady', false, settings));
      for (let i = 0; i < 10; i++) events.push(detector.record('ip:bursty', false, settings));
      now += 10_000;
    }
    expect(events.filter(Boolean)).toEqual([]);
    // Now the quiet one bursts to 30× its baseline within one interval; the steady one carries on (a little more).
    let burst;
    for (let i = 0; i < 300; i++) burst ??= detector.record('ip:bursty', false, settings);
    for (let i = 0; i < 330; i++) expect(detector.record('ip:steady', false, settings)).toBeUndefined();
    expect(burst).toMatchObject({ client: 'ip:bursty', kind: 'burst', requests: 101, until: now + 300_000 });
    expect(burst!.baseline).toBeCloseTo(10, 0);
    expect(detector.throttled('ip:bursty')).toBe(burst);
    expect(detector.throttled('ip:steady')).toBeUndefined();
    expect(detector.active()).toEqual([burst]);
    // The cool-down ends.
    now += 300_001;
    expect(detector.throttled('ip:bursty')).toBeUndefined();
    expect(detector.active()).toEqual([]);
  });

  it('learns a new client\'s baseline as the mean of its first intervals: one that starts gently and then runs busy is not a burst', () => {
    let now = 0;
    const detector = createAbuseDetector({ now: () => now });
    const events = [];
    // A couple of requests (a health check, a login), then 3,000 per interval for ten minutes, steady.
    for (let i = 0; i < 2; i++) events.push(detector.record('user:ramping', false, settings));
    now += 10_000;
    for (let interval = 0; interval < 60; interval++) {
      for (let i = 0; i < 3_000; i++) events.push(detector.record('user:ramping', false, settings));
      now += 10_000;
    }
    expect(events.filter(Boolean)).toEqual([]);
    // Seen once, then back a minute later at full speed (a load generator checking the gateway first): still new.
    now += 60_000;
    detector.record('user:returning', false, settings);
    now += 60_000;
    for (let interval = 0; interval < 6; interval++) {
      for (let i = 0; i < 3_000; i++) events.push(detector.record('user:returning', false, settings));
      now += 10_000;
    }
    expect(events.filter(Boolean)).toEqual([]);
    // The same client then jumping to 10× its learned normal is a burst.
    let burst;
    for (let i = 0; i < 31_000 && !burst; i++) burst = detector.record('user:ramping', false, settings);
    expect(burst).toMatchObject({ kind: 'burst' });
  });

  it('does not judge a new client by bursts before it has a baseline (warm-up), but throttles probing at once', () => {
    let now = 0;
    const detector = createAbuseDetector({ now: () => now });
    for (let i = 0; i < 1000; i++) expect(detector.record('ip:new-and-busy', false, settings)).toBeUndefined();
    let probing;
    for (let i = 0; i < 25 && !probing; i++) probing = detector.record('ip:prober', true, settings);
    expect(probing).toMatchObject({ kind: 'probing', failures: 20, requests: 20 });
    // Mostly good requests with a few failures are no probing.
    for (let i = 0; i < 200; i++) expect(detector.record('ip:clumsy', i % 10 === 0, settings)).toBeUndefined();
  });
});

describe('abuse detection over the gateway: what counts as a failed request', () => {
  const TOKEN = 'abuse-test-admin-token-0123';
  const throttledClients = async (demo: InMemoryDemo) =>
    ((await (await demo.gateway.fetch('http://gateway.test/admin/api/throttled', { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { throttled: { kind: string }[] }).throttled;
  const post = (demo: InMemoryDemo, body: unknown, headers: Record<string, string> = {}) =>
    demo.gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify(body) });

  it('counts failures by the result\'s error codes too: invalid queries answered 200 to legacy clients, FORBIDDEN fields (finding 11)', async () => {
    const now = 1_000_000;
    await using prober = await createInMemoryDemo({ edit: (raw) => void (raw['admin'] = { token: TOKEN }), gateway: { now: () => now } });
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i++) statuses.add((await post(prober, { query: '{ secretField }' })).status);
    expect(statuses).toEqual(new Set([200]));
    expect(await throttledClients(prober)).toMatchObject([{ kind: 'probing' }]);

    await using forbidden = await createInMemoryDemo({
      edit: (raw) => {
        raw['admin'] = { token: TOKEN };
        raw['auth'] = hs256Auth();
        rawSource(raw, 'inventory')['auth'] = { scopes: ['inventory:read'] };
      },
      gateway: { now: () => now },
    });
    const headers = { authorization: `Bearer ${await makeToken({ sub: 'mallory' })}` };
    for (let i = 0; i < 20; i++) {
      const response = await post(forbidden, { query: `{ product(id: "p${i}") { id } }` }, headers);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('FORBIDDEN');
    }
    expect((await throttledClients(forbidden)).map((t) => t.kind)).toContain('probing');
  });

  it('counts each request refused by the abuse throttle in interchange_rate_limited_total{rule="abuse"} (finding 16)', async () => {
    await using demo = await createInMemoryDemo({ gateway: { now: () => 1_000_000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await post(demo, { query: '{ secretField }' })).status);
    const refused = statuses.filter((status) => status === 429).length;
    expect(refused).toBeGreaterThan(0); // throttled after 20 failures: 10 more are let through per minute
    const metrics = parsePrometheusText(await (await demo.gateway.fetch('http://gateway.test/metrics')).text());
    expect(sumOf(metrics, 'interchange_rate_limited_total', { rule: 'abuse' })).toBe(refused);
    expect(sumOf(metrics, 'interchange_abuse_events_total', { kind: 'probing' })).toBe(1);
  });

  it('does not count APQ\'s PersistedQueryNotFound, the first step of its protocol', async () => {
    await using demo = await createInMemoryDemo({ edit: (raw) => (raw['admin'] = { token: TOKEN }, void (raw['server'] = { ...(raw['server'] as object), persistedQueries: true })), gateway: { now: () => 1_000_000 } });
    for (let i = 0; i < 30; i++) {
      const answer = (await (await post(demo, { extensions: { persistedQuery: { version: 1, sha256Hash: `${i}`.padStart(64, '0') } } })).json()) as { errors: { message: string }[] };
      expect(answer.errors[0]!.message).toBe('PersistedQueryNotFound');
    }
    expect(await throttledClients(demo)).toEqual([]);
  });
});
