import { describe, expect, it } from 'vitest';
import { createStatsHistory, LATENCY_BOUNDS_MS, latencyQuantile } from '../../src/observability/history.js';

/** The dashboard's history under an injected clock: bounded memory, one-second and one-minute resolution. */
function clock(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const SOURCES = [
  { name: 'inventory', replicas: ['http://a', 'http://b'] },
  { name: 'orders', replicas: ['grpc:1'] },
];

describe('the stats history', () => {
  it('stays within its bound after more than an hour of one-second buckets, keeping the last hour per second', () => {
    const time = clock();
    const history = createStatsHistory({ now: time.now });
    history.configure(SOURCES);
    history.recordRequest(1, 'ok', 'Seed');
    history.recordRequest(1, 'SOURCE_TIMEOUT', 'Seed');
    // Every series exists now (operation names and error codes are bounded label sets): memory is fixed from here.
    const bound = history.memoryBytes();
    // 90 minutes of traffic, one second at a time; the latency says which minute it was.
    for (let second = 0; second < 5400; second++) {
      const minute = Math.floor(second / 60);
      history.recordRequest(minute, second % 10 === 0 ? 'SOURCE_TIMEOUT' : 'ok', 'Seed');
      history.recordSourceCall('inventory', second % 2 === 0 ? 'hit' : 'ok');
      history.recordBackendCall('inventory', 'http://a', minute, true);
      history.recordBackendCall('orders', 'grpc:1', 5, second % 4 !== 0);
      time.advance(1000);
      expect(history.memoryBytes()).toBe(bound);
    }
    expect(history.memoryBytes()).toBe(bound);
    expect(bound).toBeLessThan(4 * 1024 * 1024);

    const window = history.window(0);
    expect(window.gateway.requests).toHaveLength(3600);
    expect(window.from).toBe(Math.floor(time.now() / 1000) - 3600);
    // Every second of the last hour holds exactly its one request; nothing older is left.
    expect(window.gateway.requests.every((n) => n === 1)).toBe(true);
    expect(window.gateway.hits.filter((n) => n === 1)).toHaveLength(1800);
    expect(window.errorsByCode['SOURCE_TIMEOUT']?.reduce((a, b) => a + b, 0)).toBe(360);
    expect(window.sources['inventory']?.latency).toHaveLength(3600);
    // The first second of the window is minute 30 of the run: its latency (30 ms) sits in the 25-50 ms bucket.
    expect(window.sources['inventory']?.latency[0]?.indexOf(1)).toBe(LATENCY_BOUNDS_MS.indexOf(50));

    // Minutes go further back: the trend of the last 90 minutes still sees the first ones.
    const trend = history.trend('inventory', 90)!;
    expect(trend.calls).toHaveLength(90);
    expect(trend.calls.slice(0, 89).every((n) => n === 60)).toBe(true);
    const orders = history.trend('orders', 2)!;
    expect(orders.errorRate[0]).toBeCloseTo(0.25);

    const recent = history.recentSources(10);
    expect(recent['inventory']).toMatchObject({ requestsPerSecond: 1, callsPerSecond: 1, hitRatio: 0.5, errorRate: 0 });
    expect(history.recentReplicas(10)['orders']?.['grpc:1']?.errorRate).toBeCloseTo(0.2, 1);
    // Operations are kept per minute for the last 60 minutes, the current (here empty) one included.
    expect(history.operations()[0]).toMatchObject({ name: 'Seed', count: 59 * 60 });
  });

  it('reads zeros for seconds nothing was recorded in, and frees the series of sources that left', () => {
    const time = clock();
    const history = createStatsHistory({ now: time.now });
    history.configure(SOURCES);
    history.recordBackendCall('inventory', 'http://a', 3, true);
    time.advance(7200_000);
    expect(history.window(0).sources['inventory']?.calls.every((n) => n === 0)).toBe(true);
    const withTwo = history.memoryBytes();
    history.configure([SOURCES[0]!]);
    expect(history.memoryBytes()).toBeLessThan(withTwo);
    expect(history.window(0).sources['orders']).toBeUndefined();
    // A call for a source that is not configured is ignored, not a new series.
    history.recordBackendCall('ghost', 'x', 1, true);
    expect(history.window(0).sources['ghost']).toBeUndefined();
  });

  it('estimates quantiles inside the bucket, as Prometheus does', () => {
    const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    expect(latencyQuantile(counts, 0.95)).toBeNull();
    counts[LATENCY_BOUNDS_MS.indexOf(100)] = 10; // ten calls in (50, 100] ms
    expect(latencyQuantile(counts, 0.5)).toBe(75);
    counts[LATENCY_BOUNDS_MS.length] = 90; // ninety slower than the last bound
    expect(latencyQuantile(counts, 0.95)).toBe(LATENCY_BOUNDS_MS.at(-1));
  });
});
