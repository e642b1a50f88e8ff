import { AggregatorRegistry, Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMetrics, type GatewayMetrics } from '../../src/observability/metrics.js';
import { answerMetricsCollections, createMetricsCollector, labelPerWorker, METRICS_CHANNEL, shareMetricsWithPrimary } from '../../src/server/worker-metrics.js';
import { inMemoryWorkers, settled } from '../helpers/in-memory-workers.js';
import { parsePrometheusText, samplesOf, sumOf } from '../helpers/prometheus-text.js';

/** What the primary makes of the workers' registries: prom-client's aggregation of what each worker sends. */
async function merged(workers: GatewayMetrics[]) {
  const collected = await Promise.all(workers.map(async (metrics, i) => labelPerWorker(await metrics.registry.getMetricsAsJSON(), String(i + 1))));
  return parsePrometheusText(await AggregatorRegistry.aggregate(collected).metrics());
}

describe('metrics merged across workers', () => {
  it('keeps every series per worker but the summed gauges: counts add up with sum without(worker), the calls in flight are summed', async () => {
    const one = createMetrics();
    const two = createMetrics();
    one.graphqlRequests.observe({ operation: 'other', type: 'query', outcome: 'ok' }, 0.004);
    one.graphqlRequests.observe({ operation: 'other', type: 'query', outcome: 'ok' }, 0.2);
    two.graphqlRequests.observe({ operation: 'other', type: 'query', outcome: 'ok' }, 0.004);
    two.httpRequests.inc({ status: '429' });
    one.configVersion.set(3);
    two.configVersion.set(2);
    one.inFlightCounter('orders', 'a').count = 2;
    two.inFlightCounter('orders', 'a').count = 5;

    const families = await merged([one, two]);
    // Counts: the machine's, summed over the worker label.
    expect(sumOf(families, 'interchange_graphql_request_duration_seconds_count')).toBe(3);
    expect(samplesOf(families, 'interchange_graphql_request_duration_seconds_count').map((s) => [s.labels['worker'], s.value]).sort()).toEqual([['1', 2], ['2', 1]]);
    expect(sumOf(families, 'interchange_graphql_request_duration_seconds_bucket', { le: '0.005' })).toBe(2);
    expect(sumOf(families, 'interchange_http_requests_total', { status: '429' })).toBe(1);
    expect(sumOf(families, 'interchange_backend_calls_in_flight', { source: 'orders' })).toBe(7);
    expect(samplesOf(families, 'interchange_backend_calls_in_flight').every((s) => s.labels['worker'] === undefined)).toBe(true);
    // Per worker: a version is not a count.
    expect(samplesOf(families, 'interchange_config_version').map((s) => [s.labels['worker'], s.value]).sort()).toEqual([['1', 3], ['2', 2]]);
    // Each process's own metrics, labelled; the start time too (prom-client would omit it when merging).
    for (const name of ['interchange_process_resident_memory_bytes', 'interchange_process_start_time_seconds', 'interchange_nodejs_heap_size_used_bytes']) {
      expect(samplesOf(families, name).map((s) => s.labels['worker']).sort(), name).toEqual(['1', '2']);
    }
  });

  it('never makes a counter series go backwards when a worker is replaced: only the replaced worker\'s own series starts again', async () => {
    const one = createMetrics();
    const two = createMetrics();
    for (let i = 0; i < 5; i++) one.httpRequests.inc({ status: '200' });
    for (let i = 0; i < 7; i++) two.httpRequests.inc({ status: '200' });
    const before = await merged([one, two]);
    // Worker 1 dies; its replacement counts from 0, worker 2 counts on.
    const replacement = createMetrics();
    replacement.httpRequests.inc({ status: '200' });
    two.httpRequests.inc({ status: '200' });
    const after = await merged([replacement, two]);
    const series = (families: typeof before) => Object.fromEntries(samplesOf(families, 'interchange_http_requests_total').map((s) => [s.labels['worker'], s.value]));
    expect(series(before)).toEqual({ 1: 5, 2: 7 });
    expect(series(after)).toEqual({ 1: 1, 2: 8 });
    // Every series that did not restart grew; the one that restarted is one process's, which rate() reads as its reset.
    expect(series(after)['2']).toBeGreaterThan(series(before)['2']!);
  });
});

/** A primary's collector and N workers' answerers linked in memory: the scrape of /metrics without processes. */
function machine(count: number, options: { timeoutMs?: number } = {}) {
  const timedOut: number[] = [];
  let collector!: ReturnType<typeof createMetricsCollector<number>>;
  const workers = inMemoryWorkers(count, { onMessage: (worker, message) => collector.receive(worker, message) });
  collector = createMetricsCollector<number>({ count, send: (worker, message) => workers.toWorker(worker, message), onTimeout: (worker) => timedOut.push(worker), ...options });
  const registryOf = (requests: number) => {
    const registry = new Registry();
    new Counter({ name: 'interchange_http_requests_total', help: 'h', labelNames: ['status'], registers: [registry] }).inc({ status: '200' }, requests);
    return registry;
  };
  return { workers, collector, timedOut, registryOf };
}

describe('the primary collecting the workers\' metrics', () => {
  afterEach(() => void vi.useRealTimers());

  it('merges the registries of every worker that answers, and says how many answered', async () => {
    const { workers, collector, registryOf } = machine(2);
    const one = shareMetricsWithPrimary(registryOf(3), workers.channel(1));
    shareMetricsWithPrimary(registryOf(4), workers.channel(2));
    const families = parsePrometheusText(await one.scrape());
    expect(Object.fromEntries(samplesOf(families, 'interchange_http_requests_total').map((s) => [s.labels['worker'], s.value]))).toEqual({ 1: 3, 2: 4 });
    expect(sumOf(families, 'interchange_workers')).toBe(2);
    expect(sumOf(families, 'interchange_workers_reporting')).toBe(2);
    expect(collector.inFlight).toBe(0);
  });

  it('does not wait for a worker still starting (it has not said it answers): the scrape is answered at once by the others', async () => {
    const { workers, collector, registryOf } = machine(2);
    const one = shareMetricsWithPrimary(registryOf(3), workers.channel(1));
    workers.channel(2); // forked, still loading: no listener, and it said nothing
    const families = parsePrometheusText(await one.scrape());
    expect(samplesOf(families, 'interchange_http_requests_total').map((s) => s.labels['worker'])).toEqual(['1']);
    expect(sumOf(families, 'interchange_workers')).toBe(2);
    expect(sumOf(families, 'interchange_workers_reporting')).toBe(1);
    expect(collector.inFlight).toBe(0);
  });

  it('answers with nothing of a worker whose gateway is not made yet, then with its registry', async () => {
    const { workers, registryOf } = machine(2);
    const one = shareMetricsWithPrimary(registryOf(3), workers.channel(1));
    const two = workers.channel(2);
    const answerer = answerMetricsCollections(two);
    // Called again (by the gateway's sharing), the same answerer: one answer per collection, not two.
    expect(answerMetricsCollections(two)).toBe(answerer);
    expect(workers.listenerCount(2)).toBe(1);
    expect(workers.sent.filter((s) => s.from === 2 && s.message.type === 'answering')).toHaveLength(1);
    let families = parsePrometheusText(await one.scrape());
    expect(samplesOf(families, 'interchange_http_requests_total').map((s) => s.labels['worker'])).toEqual(['1']);
    expect(sumOf(families, 'interchange_workers_reporting')).toBe(1); // worker 2 answered, with no series: starting
    shareMetricsWithPrimary(registryOf(9), two);
    families = parsePrometheusText(await one.scrape());
    expect(sumOf(families, 'interchange_http_requests_total', { worker: '2' })).toBe(9);
    expect(sumOf(families, 'interchange_workers_reporting')).toBe(2);
    expect(workers.listenerCount(2)).toBe(2); // the answerer, and the sharing's own answers to its scrapes
  });

  it('drops a worker that exits in the middle of a collection, stops asking it, and does not wait for one it cannot reach', async () => {
    const { workers, collector, registryOf } = machine(3);
    const one = shareMetricsWithPrimary(registryOf(3), workers.channel(1));
    // Worker 2 said it answers, then dies: what it was asked is never answered.
    const two = workers.channel(2);
    let asked = 0;
    two.onMessage(() => asked++);
    two.send({ channel: METRICS_CHANNEL, type: 'answering' });
    answerMetricsCollections(workers.channel(3)).use(registryOf(5));
    await settled();
    const scraping = one.scrape();
    await settled();
    expect(asked).toBe(1);
    expect(collector.inFlight).toBe(1);
    collector.gone(2);
    let families = parsePrometheusText(await scraping);
    expect(sumOf(families, 'interchange_workers_reporting')).toBe(2);
    expect(collector.inFlight).toBe(0);
    await one.scrape();
    expect(asked).toBe(1);
    // Worker 3's channel is closed before the primary hears of its exit: the send fails, so it is not waited for.
    workers.disconnect(3);
    families = parsePrometheusText(await one.scrape());
    expect(sumOf(families, 'interchange_workers_reporting')).toBe(1);
    expect(collector.inFlight).toBe(0);
  });

  it('leaves out a worker that does not answer in time, forgets the collection, and ignores its late answer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    let held: ((message: unknown) => void) | undefined;
    const { workers, collector, timedOut, registryOf } = machine(2, { timeoutMs: 3000 });
    const one = shareMetricsWithPrimary(registryOf(3), workers.channel(1));
    // Worker 2 said it answers, but is stuck: it reads the request and answers only when the test says.
    const two = workers.channel(2);
    two.onMessage((message) => (held = () => two.send({ channel: METRICS_CHANNEL, type: 'collected', id: (message as { id: number }).id, metrics: [] })));
    two.send({ channel: METRICS_CHANNEL, type: 'answering' });
    await settled();
    const scraping = one.scrape();
    await settled();
    expect(held).toBeDefined();
    expect(collector.inFlight).toBe(1);
    await vi.advanceTimersByTimeAsync(2999);
    expect(collector.inFlight).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const families = parsePrometheusText(await scraping);
    expect(sumOf(families, 'interchange_workers_reporting')).toBe(1);
    expect(timedOut).toEqual([2]);
    expect(collector.inFlight).toBe(0);
    held!(undefined);
    await settled();
    expect(collector.inFlight).toBe(0);
  });
});

describe('a worker asking the primary for the merged metrics', () => {
  afterEach(() => void vi.useRealTimers());

  /** A worker's channel whose primary answers only when the test says. */
  function worker() {
    const scrapes: number[] = [];
    const workers = inMemoryWorkers(2, {
      onMessage: (_, message) => {
        const m = message as { type: string; id: number };
        if (m.type === 'scrape') scrapes.push(m.id);
      },
    });
    const answer = (id: number, body: Record<string, unknown>) => workers.toWorker(1, { channel: METRICS_CHANNEL, type: 'metrics', id, ...body });
    return { channel: workers.channel(1), scrapes, answer, workers };
  }

  it('gives each scrape its own id and matches answers by id, in any order; an error answer rejects', async () => {
    const { channel, scrapes, answer } = worker();
    const shared = shareMetricsWithPrimary(new Registry(), channel);
    const first = shared.scrape();
    const second = shared.scrape();
    const third = shared.scrape();
    await settled();
    expect(new Set(scrapes).size).toBe(3);
    answer(scrapes[1]!, { text: 'second' });
    answer(scrapes[0]!, { text: 'first' });
    answer(scrapes[2]!, { error: 'it broke' });
    expect(await first).toBe('first');
    expect(await second).toBe('second');
    await expect(third).rejects.toThrow('it broke');
  });

  it('rejects a scrape the primary does not answer within timeoutMs, and ignores the answer that comes later', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { channel, scrapes, answer } = worker();
    const shared = shareMetricsWithPrimary(new Registry(), channel, { timeoutMs: 500 });
    const late = shared.scrape();
    late.catch(() => {});
    await vi.advanceTimersByTimeAsync(499);
    const next = shared.scrape();
    await vi.advanceTimersByTimeAsync(1);
    await expect(late).rejects.toThrow('the primary did not answer within 500 ms');
    answer(scrapes[0]!, { text: 'too late' });
    answer(scrapes[1]!, { text: 'in time' });
    expect(await next).toBe('in time');
  });

  it('on dispose rejects the scrapes waiting and stops listening', async () => {
    const { channel, scrapes, answer, workers } = worker();
    const shared = shareMetricsWithPrimary(new Registry(), channel);
    const waiting = shared.scrape();
    await settled();
    const listening = workers.listenerCount(1);
    shared[Symbol.dispose]();
    await expect(waiting).rejects.toThrow('closed');
    expect(workers.listenerCount(1)).toBe(listening - 1);
    answer(scrapes[0]!, { text: 'after dispose' });
    await settled();
  });
});
