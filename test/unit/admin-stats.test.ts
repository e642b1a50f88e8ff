import { afterEach, describe, expect, it, vi } from 'vitest';
import { TransportError } from '../../src/sources/types.js';
import { createInMemoryDemo, demoConfig, rawSource, until } from '../helpers/in-memory-demo.js';

/** `/admin/api/stats`: the dashboard's data, JSON or SSE, only with the token. */
const TOKEN = 'stats-test-token-0123456789';
const withToken = (raw: Record<string, unknown>) => void (raw['admin'] = { token: TOKEN });

interface Stats {
  history: { from: number; gateway: { requests: number[] } };
  sources: { name: string; health: string; breaker: string | null; staleServing: boolean; trend: { p95Ms: unknown[]; errorRate: unknown[] }; replicas: { endpoint: string; healthy: boolean | null }[] }[];
  lookFirst: string[];
  events: { type: string; summary: string }[];
  operations: { name: string }[];
  historyBytes: number;
}

afterEach(() => void vi.useRealTimers());

describe('/admin/api/stats', () => {
  it('refuses without the right token, and is off without one in the config', async () => {
    await using demo = await createInMemoryDemo({ edit: withToken });
    expect((await demo.gateway.fetch('http://gateway.test/admin/api/stats')).status).toBe(401);
    expect((await demo.gateway.fetch('http://gateway.test/admin/api/stats', { headers: { authorization: 'Bearer wrong-wrong-wrong-wrong' } })).status).toBe(401);
    await using off = await createInMemoryDemo();
    expect((await off.gateway.fetch('http://gateway.test/admin/api/stats', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });

  it('reports each source with its health, trend, replicas and stale state, the one to look at first first', async () => {
    await using demo = await createInMemoryDemo({ edit: withToken });
    await demo.query('query Seed { order(id: "1") { id shipment { status } } }');
    demo.backends.answer('logistics.shipmentsByOrders', () => {
      throw new TransportError('unavailable', 'connection refused');
    });
    await demo.query('query Seed { order(id: "1") { id shipment { status } } }');
    const response = await demo.gateway.fetch('http://gateway.test/admin/api/stats', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    const stats = (await response.json()) as Stats;
    expect(stats.sources.map((s) => s.name)).toEqual(['inventory', 'logistics', 'orders', 'reviews']);
    const logistics = stats.sources.find((s) => s.name === 'logistics')!;
    expect(logistics).toMatchObject({ health: 'down', staleServing: true, replicas: [{ endpoint: 'http://logistics.test', healthy: false }] });
    expect(logistics.trend.p95Ms).toHaveLength(60);
    expect(logistics.trend.errorRate).toHaveLength(60);
    expect(stats.lookFirst[0]).toBe('logistics');
    expect(stats.history.gateway.requests).toHaveLength(3600);
    // The failed read is retried twice (retry.attempts defaults to 2) before the stale answer is served.
    expect(stats.events.map((e) => e.summary)).toEqual([
      'logistics replica http://logistics.test unhealthy: SOURCE_UNAVAILABLE',
      'logistics shipmentsByOrders retried (attempt 2)',
      'logistics shipmentsByOrders retried (attempt 3)',
      'logistics is serving stale answers',
    ]);
    expect(stats.historyBytes).toBeGreaterThan(0);
  });

  it('shows the breaker the serving configuration has: closed after a reload replaced an open one, none after one switched it off (finding 15)', async () => {
    const noRetries = (raw: Record<string, unknown>) => (withToken(raw), void (rawSource(raw, 'logistics')['retry'] = { attempts: 0 }));
    await using demo = await createInMemoryDemo({ edit: noRetries });
    const breakerOfLogistics = async () => {
      const stats = (await (await demo.gateway.fetch('http://gateway.test/admin/api/stats', { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Stats;
      return stats.sources.find((s) => s.name === 'logistics')!.breaker;
    };
    demo.backends.answer('logistics.shipmentByOrder', () => {
      throw new TransportError('unavailable', 'connection refused');
    });
    // Ten failed calls in a row open it (consecutiveFailures: 10).
    for (let i = 0; i < 10; i++) await demo.query(`{ shipmentByOrder(orderId: "${i}") { status } }`);
    expect(demo.gateway.current.sources.get('logistics')!.resilience().circuit).toBe('open');
    expect(await breakerOfLogistics()).toBe('open');
    await demo.gateway.reload(demoConfig((raw) => (noRetries(raw), void (rawSource(raw, 'logistics')['breaker'] = { openMs: 20_000 }))));
    expect(await breakerOfLogistics()).toBe('closed');
    await demo.gateway.reload(demoConfig((raw) => (noRetries(raw), void (rawSource(raw, 'logistics')['breaker'] = { enabled: false }))));
    expect(await breakerOfLogistics()).toBeNull();
  });

  it('streams a snapshot, then a tick each second, and stops when the client goes away', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    await using demo = await createInMemoryDemo({ edit: withToken });
    // The gateway's own intervals (each source breaker's rolling window) stay; the stream's must go.
    const gatewayTimers = vi.getTimerCount();
    const client = new AbortController();
    const response = await demo.gateway.fetch('http://gateway.test/admin/api/stats', {
      headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' },
      signal: client.signal,
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const events = () => [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    const pump = (async () => {
      for (;;) {
        const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (chunk.done) return;
        text += decoder.decode(chunk.value, { stream: true });
      }
    })();
    await until(() => events().length === 1, 'the snapshot');
    vi.advanceTimersByTime(2000);
    await until(() => events().length === 3, 'two ticks');
    expect(events()).toEqual(['snapshot', 'tick', 'tick']);
    client.abort();
    await pump;
    expect(vi.getTimerCount()).toBe(gatewayTimers);
  });
});
