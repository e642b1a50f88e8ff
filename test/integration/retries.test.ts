import { afterEach, describe, expect, it } from 'vitest';
import { flakyGateway, itemIdOf, query, startHttpBackend } from '../helpers/flaky-source.js';

/**
 * Retries against a real HTTP backend whose answers are scripted: a flapping backend (503, then 429 with
 * Retry-After, then 200), a steady failure the retry budget caps, and a mutation that is never retried.
 */
interface Arrival {
  readonly method: string;
  readonly at: number;
  readonly timeoutHeader: string | undefined;
}

/** Answers each call with the next scripted status (then 200 with the item), recording every arrival. */
async function scriptedBackend(script: { status: number; headers?: Record<string, string> }[], otherwise = 200) {
  const arrivals: Arrival[] = [];
  const backend = await startHttpBackend((request, response) => {
    arrivals.push({ method: request.method ?? 'GET', at: performance.now(), timeoutHeader: request.headers['x-request-timeout-ms'] as string | undefined });
    const step = script.shift() ?? { status: otherwise };
    if (step.status !== 200) {
      response.writeHead(step.status, { 'content-type': 'application/json', ...step.headers }).end(JSON.stringify({ message: `scripted ${step.status}` }));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: itemIdOf(request.url), served: arrivals.length }));
  });
  return { arrivals, ...backend };
}

const gatewayFor = (url: string, source: Record<string, unknown> = {}, server: Record<string, unknown> = {}) => flakyGateway([url], source, server);

describe('retries against a flapping backend', () => {
  const cleanup: (() => PromiseLike<void>)[] = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0)) await close();
  });

  it('retries a 503, then waits out a 429\'s Retry-After, then gets the answer', async () => {
    const backend = await scriptedBackend([{ status: 503 }, { status: 429, headers: { 'retry-after': '1' } }]);
    const gateway = await gatewayFor(backend.url, { retry: { attempts: 2, baseDelayMs: 10 } });
    cleanup.push(backend.close, () => gateway[Symbol.asyncDispose]());
    expect(await query(gateway, '{ item(id: "x") { id served } }')).toEqual({ data: { item: { id: 'x', served: 3 } } });
    expect(backend.arrivals.map((a) => a.method)).toEqual(['GET', 'GET', 'GET']);
    // The third call waited for the Retry-After (1 s) after the 429, not just the back-off.
    expect(backend.arrivals[2]!.at - backend.arrivals[1]!.at).toBeGreaterThanOrEqual(990);
    // Every attempt told the backend how long the gateway waits for it (the call timeout, 10 s, within the 30 s request budget).
    for (const arrival of backend.arrivals) expect(Number(arrival.timeoutHeader)).toBeGreaterThan(9_000);
  });

  it('gives up with the last error after `attempts` retries', async () => {
    const backend = await scriptedBackend([], 503);
    const gateway = await gatewayFor(backend.url, { retry: { attempts: 1, baseDelayMs: 0 } });
    cleanup.push(backend.close, () => gateway[Symbol.asyncDispose]());
    const body = await query(gateway, '{ item(id: "x") { id } }');
    expect(body.data).toEqual({ item: null });
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'flaky', status: 503 });
    expect(backend.arrivals).toHaveLength(2);
  });

  it('caps retries with the retry budget under a steady failure', async () => {
    const backend = await scriptedBackend([], 503);
    // Budget: 10 % of the calls, plus 0.1 per second (1 per 10 s window).
    const gateway = await gatewayFor(backend.url, { retry: { attempts: 2, baseDelayMs: 0, budgetPercent: 10, minPerSecond: 0.1 } });
    cleanup.push(backend.close, () => gateway[Symbol.asyncDispose]());
    for (let i = 0; i < 40; i++) await query(gateway, `{ item(id: "${i}") { id } }`);
    // Without the budget: 40 × 3 = 120 calls. With it: 40 live calls and at most 1 + 10 % of them retried.
    expect(backend.arrivals.length).toBeGreaterThan(40);
    expect(backend.arrivals.length).toBeLessThanOrEqual(45);
    const metrics = await (await gateway.fetch('http://gateway.test/metrics')).text();
    expect(Number(/interchange_source_retries_total\{source="flaky",kind="budget_exhausted"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(30);
  });

  it('never retries a mutation the backend may have run, unless configured', async () => {
    const backend = await scriptedBackend([{ status: 503 }, { status: 503 }]);
    const gateway = await gatewayFor(backend.url, { retry: { attempts: 2, baseDelayMs: 0 } });
    cleanup.push(backend.close, () => gateway[Symbol.asyncDispose]());
    const body = await query(gateway, 'mutation { touchItem(id: "x") { id } }');
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'flaky', status: 503 });
    expect(backend.arrivals.map((a) => a.method)).toEqual(['POST']);

    const configured = await gatewayFor(backend.url, { retry: { attempts: 2, baseDelayMs: 0, mutations: true } });
    cleanup.push(() => configured[Symbol.asyncDispose]());
    expect(await query(configured, 'mutation { touchItem(id: "y") { id } }')).toEqual({ data: { touchItem: { id: 'y' } } });
    expect(backend.arrivals.map((a) => a.method)).toEqual(['POST', 'POST', 'POST']);
  });

  it('tells the backend what is left of the request budget, which caps the call timeout', async () => {
    const backend = await scriptedBackend([]);
    const gateway = await gatewayFor(backend.url, { timeoutMs: 10_000 }, { requestTimeoutMs: 2_000 });
    cleanup.push(backend.close, () => gateway[Symbol.asyncDispose]());
    await query(gateway, '{ item(id: "x") { id } }');
    const told = Number(backend.arrivals[0]!.timeoutHeader);
    expect(told).toBeGreaterThan(1_000);
    expect(told).toBeLessThanOrEqual(2_000);
  });
});
