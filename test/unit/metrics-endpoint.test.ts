import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TransportError } from '../../src/sources/types.js';
import { createInMemoryDemo, demoConfig, rawSource, until } from '../helpers/in-memory-demo.js';
import { parsePrometheusText, samplesOf, sumOf, type MetricFamily } from '../helpers/prometheus-text.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * `/metrics` after traffic with a cache hit, a stale answer, an unavailable backend and a timeout, read with a
 * strict parser of the Prometheus text format: every series there, each outcome under its code, and backend
 * calls counted only when a call really reached a backend.
 */
const BROKEN_SPEC = fileURLToPath(new URL('../fixtures/openapi/broken/not-openapi.yaml', import.meta.url));
const SEED = 'query Seed { order(id: "1") { id products { id name } shipment { status } } }';

async function scrape(demo: { gateway: { fetch(url: string): Promise<Response> } }): Promise<Map<string, MetricFamily>> {
  const response = await demo.gateway.fetch('http://gateway.test/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return parsePrometheusText(await response.text());
}

describe('/metrics', () => {
  it('labels every outcome with its code and counts only calls that reached a backend', async () => {
    await using demo = await createInMemoryDemo({
      edit: (raw) => {
        rawSource(raw, 'inventory')['cache'] = { ttl: 60 };
        rawSource(raw, 'orders')['timeoutMs'] = 30;
        raw['telemetry'] = { operationNames: ['Seed', 'Shipment', 'Third'] };
      },
    });
    const { backends } = demo;
    // 1: every backend answers; 2: inventory from the cache (a hit), the others live.
    expect((await demo.query(SEED)).body.errors).toBeUndefined();
    expect((await demo.query(SEED)).body.errors).toBeUndefined();
    // 3: logistics down: its last answer is served stale.
    backends.answer('logistics.shipmentsByOrders', () => {
      throw new TransportError('unavailable', 'connection refused');
    });
    const stale = await demo.query(SEED);
    expect(stale.body.extensions?.['stale']).toEqual([expect.objectContaining({ source: 'logistics' })]);
    // 4: logistics down and nothing cached for order 2's shipment: SOURCE_UNAVAILABLE.
    backends.answer('logistics.shipmentByOrder', () => {
      throw new TransportError('unavailable', 'connection refused');
    });
    const unavailable = await demo.query('query Shipment { shipmentByOrder(orderId: "2") { status } }');
    expect(unavailable.body.errors?.[0]?.extensions?.['code']).toBe('SOURCE_UNAVAILABLE');
    // 5: orders never answers order 3: SOURCE_TIMEOUT after its 30 ms.
    const release = backends.hold('orders.getOrder', (args) => args['id'] === '3');
    const timeout = await demo.query('query Third { order(id: "3") { id } }');
    release();
    expect(timeout.body.errors?.[0]?.extensions?.['code']).toBe('SOURCE_TIMEOUT');

    const metrics = await scrape(demo);
    for (const name of [
      'interchange_graphql_request_duration_seconds',
      'interchange_backend_call_duration_seconds',
      'interchange_backend_calls_in_flight',
      'interchange_source_call_duration_seconds',
      'interchange_cache_events_total',
      'interchange_config_version',
      'interchange_config_loaded_timestamp_seconds',
      'interchange_config_reloads_total',
      'interchange_events_total',
      'interchange_http_requests_total',
    ]) {
      expect(metrics.has(name), name).toBe(true);
    }

    // Backend calls: exactly the calls the backends received, per source; the cache hit made none.
    const backendCount = 'interchange_backend_call_duration_seconds_count';
    for (const source of ['inventory', 'logistics', 'orders']) {
      expect(sumOf(metrics, backendCount, { source }), source).toBe(backends.calls.filter((c) => c.source === source).length);
    }
    expect(sumOf(metrics, backendCount, { source: 'inventory' })).toBe(backends.count('inventory.productsByIds'));
    expect(backends.count('inventory.productsByIds')).toBe(1);
    // Two failed reads, each tried three times (retry.attempts defaults to 2): every attempt is a backend call.
    expect(sumOf(metrics, backendCount, { source: 'logistics', replica: 'http://logistics.test', outcome: 'SOURCE_UNAVAILABLE' })).toBe(6);
    expect(sumOf(metrics, backendCount, { source: 'orders', replica: 'orders.test:50051', outcome: 'SOURCE_TIMEOUT' })).toBe(1);
    expect(sumOf(metrics, backendCount, { source: 'orders', outcome: 'ok' })).toBe(3);
    expect(samplesOf(metrics, 'interchange_backend_calls_in_flight').map((s) => [s.labels['source'], s.value])).toEqual([['orders', 0], ['inventory', 0], ['logistics', 0]]);

    // Source calls as the client saw them.
    const sourceCount = 'interchange_source_call_duration_seconds_count';
    expect(sumOf(metrics, sourceCount, { source: 'inventory', outcome: 'hit' })).toBe(2);
    expect(sumOf(metrics, sourceCount, { source: 'logistics', outcome: 'stale' })).toBe(1);
    expect(sumOf(metrics, sourceCount, { source: 'logistics', outcome: 'SOURCE_UNAVAILABLE' })).toBe(1);
    expect(sumOf(metrics, sourceCount, { source: 'orders', outcome: 'SOURCE_TIMEOUT' })).toBe(1);
    expect(sumOf(metrics, 'interchange_cache_events_total', { source: 'inventory', event: 'hit' })).toBe(2);

    // Requests by operation and outcome.
    const requestCount = 'interchange_graphql_request_duration_seconds_count';
    expect(sumOf(metrics, requestCount, { operation: 'Seed', type: 'query', outcome: 'ok' })).toBe(2);
    expect(sumOf(metrics, requestCount, { operation: 'Seed', outcome: 'stale' })).toBe(1);
    expect(sumOf(metrics, requestCount, { operation: 'Shipment', outcome: 'SOURCE_UNAVAILABLE' })).toBe(1);
    expect(sumOf(metrics, requestCount, { operation: 'Third', outcome: 'SOURCE_TIMEOUT' })).toBe(1);

    // The stale period and the replica going down were reported as events.
    expect(sumOf(metrics, 'interchange_events_total', { type: 'stale_started', source: 'logistics' })).toBe(1);
    expect(sumOf(metrics, 'interchange_events_total', { type: 'replica_health', source: 'logistics' })).toBe(1);
    expect(sumOf(metrics, 'interchange_config_version')).toBe(1);
  });

  it('counts a call whose client went away as CANCELLED, not as a failure of the replica', async () => {
    // Without coalescing, a call belongs to its one request and is cancelled with it.
    await using demo = await createInMemoryDemo({ edit: (raw) => void (rawSource(raw, 'orders')['dedupe'] = false) });
    const release = demo.backends.hold('orders.getOrder');
    const client = new AbortController();
    const pending = demo.query('{ order(id: "1") { id } }', { signal: client.signal }).catch((error: unknown) => error);
    await until(() => demo.backends.count('orders.getOrder') === 1, 'the call reaching the backend');
    client.abort();
    await pending;
    release();
    const metrics = await scrape(demo);
    expect(sumOf(metrics, 'interchange_backend_call_duration_seconds_count', { source: 'orders', outcome: 'CANCELLED' })).toBe(1);
    expect(sumOf(metrics, 'interchange_events_total', { type: 'replica_health' })).toBe(0);
    expect(demo.gateway.telemetry.events.replicaHealth('orders', 'orders.test:50051')).toBeUndefined();
  });

  it('is read by a parser that refuses what the text format does not allow', () => {
    const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 3\n';
    expect(parsePrometheusText(ok).get('a_total')?.samples).toEqual([{ name: 'a_total', labels: { x: '1' }, value: 3 }]);
    for (const bad of [
      'a_total{x="1"} 3\n', // no TYPE
      '# TYPE a counter\na{x="1"} three\n', // not a number
      '# TYPE a counter\na{x="1" 3\n', // unterminated labels
      '# TYPE a counter\na{1x="1"} 3\n', // bad label name
      '# TYPE a counter\na{x="1"} 3\na{x="1"} 4\n', // duplicate series
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n', // not cumulative
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\nh_sum 1\n', // +Inf differs from _count
    ]) {
      expect(() => parsePrometheusText(bad), bad).toThrow();
    }
  });

  it('labels requests by the operation that ran, only with names the operator chose: configured ones, then the trusted documents\' (finding 6)', async () => {
    await using demo = await createInMemoryDemo({ edit: (raw) => void (raw['telemetry'] = { operationNames: ['Checkout'] }) });
    const send = (body: unknown) => demo.gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, body: JSON.stringify(body) });
    // A huge name the document does not have: refused (400), and never a label.
    for (let i = 0; i < 3; i++) expect((await send({ query: '{ __typename }', operationName: `${'A'.repeat(200_000)}${i}` })).status).toBe(400);
    // Sixty names that did run take no label either, so the configured one keeps its own.
    for (let i = 0; i < 60; i++) await send({ query: `query Junk${i} { __typename }` });
    await send({ query: 'query Checkout { __typename }' });
    await send({ query: '{ __typename }' });
    const text = await (await demo.gateway.fetch('http://gateway.test/metrics')).text();
    expect(text.length).toBeLessThan(200_000);
    const families = parsePrometheusText(text);
    const count = (operation: string) => sumOf(families, 'interchange_graphql_request_duration_seconds_count', { operation });
    expect(samplesOf(families, 'interchange_graphql_request_duration_seconds_count').map((s) => s.labels['operation']).sort()).toEqual(['Checkout', 'anonymous', 'other', 'other']);
    expect([count('other'), count('Checkout'), count('anonymous')]).toEqual([63, 1, 1]);

    using dir = tempDir();
    const trusted = ['query Listed { __typename }', 'query AlsoListed { __typename }', 'query NotAdmitted { __typename }'];
    const file = dir.write('trusted.json', JSON.stringify(Object.fromEntries(trusted.map((d) => [createHash('sha256').update(d).digest('hex'), d]))));
    await using withDocuments = await createInMemoryDemo({ edit: (raw) => (raw['telemetry'] = { maxOperationNames: 2 }, void (raw['server'] = { ...(raw['server'] as object), trustedDocuments: file })) });
    for (const document of trusted) {
      const response = await withDocuments.gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(document).digest('hex') } } }) });
      expect(response.status).toBe(200);
    }
    const labels = samplesOf(await scrape(withDocuments), 'interchange_graphql_request_duration_seconds_count').map((s) => s.labels['operation']);
    expect(labels.sort()).toEqual(['AlsoListed', 'Listed', 'other']);
  });

  it('counts reloads and the config version; a refused reload leaves the version as it was', async () => {
    await using demo = await createInMemoryDemo();
    await demo.gateway.reload(demoConfig());
    await expect(demo.gateway.reload(demoConfig((raw) => void (rawSource(raw, 'inventory')['spec'] = BROKEN_SPEC)))).rejects.toThrow();
    const metrics = await scrape(demo);
    expect(sumOf(metrics, 'interchange_config_version')).toBe(2);
    expect(sumOf(metrics, 'interchange_config_reloads_total', { result: 'ok' })).toBe(1);
    expect(sumOf(metrics, 'interchange_config_reloads_total', { result: 'failed' })).toBe(1);
    expect(demo.gateway.telemetry.events.recent().map((e) => [e.type, e.summary.split(':')[0]])).toEqual([
      ['reload', 'configuration reloaded (version 2)'],
      ['reload', 'reload refused'],
    ]);
  });
});
