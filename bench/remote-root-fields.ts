/**
 * `npx tsx bench/remote-root-fields.ts [--quick] [--fields 5] [--requests 2000]`: what it costs that the gateway
 * sends each root field of a remote GraphQL source as its own call (its own cache entry, timeout and metrics
 * label; see src/gateway/remote-executor.ts), on a query with several root fields to the demo's reviews service.
 *
 * Measured in one process, in the same run, as ratios to the direct call of the whole document:
 *   direct, one document   one POST with every root field to the reviews backend (what sending documents whole
 *                          would cost on the wire at best: the baseline);
 *   direct, split          one POST per root field, all in parallel (the wire cost of splitting alone);
 *   gateway                the same query through the gateway (in-process `gateway.fetch`, real HTTP to reviews).
 * Each: sequential requests (latency median and p90) and 16 in flight (requests/s). Numbers from a busy machine
 * say little alone; the ratios are the result.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { validateConfig } from '../src/config/load.js';
import { DEMO_SCHEMA_FILES, startReviews } from '../src/demo/index.js';
import { createGateway } from '../src/server/create-gateway.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, fields: { type: 'string', default: '5' }, requests: { type: 'string' } } });
const fieldCount = Number(values.fields);
const requests = Number(values.requests ?? (values.quick ? 300 : 2000));
const CONCURRENCY = 16;

const ids = (i: number) => [`p${i * 3 + 1}`, `p${i * 3 + 2}`, `p${i * 3 + 3}`];
const fields = Array.from({ length: fieldCount }, (_, i) => `f${i}: reviewsByProducts(productIds: ${JSON.stringify(ids(i))}) { id rating }`);
const wholeQuery = `{ ${fields.join(' ')} }`;
const partQueries = fields.map((f) => `{ ${f} }`);

await using reviews = await startReviews({ latencyMs: 0 });
const endpoint = `${reviews.url}/graphql`;
const pool = new Pool(reviews.url, { connections: 128 });
await using gateway = await createGateway(
  validateConfig({ cache: { ttl: 0, staleIfError: 0 }, sources: [{ name: 'reviews', kind: 'graphql', schema: DEMO_SCHEMA_FILES.reviews, endpoints: [endpoint], dedupe: false }] }, join(import.meta.dirname, 'inline.yaml')),
);

async function post(query: string): Promise<Record<string, unknown>> {
  const response = await pool.request({ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return ((await response.body.json()) as { data: Record<string, unknown> }).data;
}

const variants: Record<string, () => Promise<Record<string, unknown>>> = {
  'direct, one document': () => post(wholeQuery),
  'direct, split': async () => Object.assign({}, ...(await Promise.all(partQueries.map(post)))) as Record<string, unknown>,
  gateway: async () => {
    const response = await gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: wholeQuery }) });
    return ((await response.json()) as { data: Record<string, unknown> }).data;
  },
};

const expected = JSON.stringify(await variants['direct, one document']!());
interface Result { median: number; p90: number; perSecond: number; backendCallsPerRequest: number }
const results: Record<string, Result> = {};
for (const [name, run] of Object.entries(variants)) {
  if (JSON.stringify(await run()) !== expected) throw new Error(`${name} answered differently`);
  for (let i = 0; i < Math.min(200, requests); i++) await run(); // warm-up
  reviews.stats.reset();
  const latencies: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    await run();
    latencies.push(performance.now() - started);
  }
  const calls = reviews.stats.calls;
  latencies.sort((a, b) => a - b);
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next++ < requests) await run();
  }));
  const seconds = (performance.now() - started) / 1000;
  results[name] = { median: latencies[Math.floor(requests / 2)]!, p90: latencies[Math.floor(requests * 0.9)]!, perSecond: requests / seconds, backendCallsPerRequest: calls / requests };
}
await pool.close();

const base = results['direct, one document']!;
console.log(`${fieldCount} root fields to one remote GraphQL source, ${requests} requests per variant${values.quick ? ' (--quick)' : ''}`);
console.log(`${'variant'.padEnd(22)} ${'median ms'.padStart(10)} ${'p90 ms'.padStart(8)} ${'req/s'.padStart(8)} ${'fields resolved/req'.padStart(21)}   ratios to one document (median, p90, req/s)`);
for (const [name, r] of Object.entries(results)) {
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(
    `${name.padEnd(22)} ${r.median.toFixed(3).padStart(10)} ${r.p90.toFixed(3).padStart(8)} ${r.perSecond.toFixed(0).padStart(8)} ${r.backendCallsPerRequest.toFixed(2).padStart(21)}   ${ratio(r.median, base.median)}, ${ratio(r.p90, base.p90)}, ${ratio(r.perSecond, base.perSecond)}`,
  );
}
