import { AggregatorRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, type GatewayMetrics } from '../../src/observability/metrics.js';
import { labelPerWorker } from '../../src/server/worker-metrics.js';
import { parsePrometheusText, samplesOf, sumOf } from '../helpers/prometheus-text.js';

/** What the primary makes of the workers' registries: prom-client's aggregation of what each worker sends. */
async function merged(workers: GatewayMetrics[]) {
  const collected = await Promise.all(workers.map(async (metrics, i) => labelPerWorker(await metrics.registry.getMetricsAsJSON(), String(i + 1))));
  return parsePrometheusText(await AggregatorRegistry.aggregate(collected).metrics());
}

describe('metrics merged across workers', () => {
  it('sums counters and histograms, keeps gauges whose sum would lie per worker, and sums the calls in flight', async () => {
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
    // Counts: the machine's.
    expect(sumOf(families, 'interchange_graphql_request_duration_seconds_count')).toBe(3);
    expect(samplesOf(families, 'interchange_graphql_request_duration_seconds_bucket').find((s) => s.labels['le'] === '0.005')!.value).toBe(2);
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
});
