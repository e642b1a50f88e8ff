import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/server/create-gateway.js';
import { flakyGateway, itemIdOf, query, startHttpBackend } from '../helpers/flaky-source.js';
import { eventually } from '../helpers/live.js';
import { parsePrometheusText, sumOf } from '../helpers/prometheus-text.js';

/**
 * Hedging (`retry.hedgeAfterMs`) against two real HTTP replicas of one OpenAPI source. Nothing here depends on
 * how fast the machine is: the first call of a hedged item is held by whichever replica receives it until the
 * test releases it (a promise, never a timer), and every other call is answered at once. So the first attempt's
 * replica needs no fixed choice, and a hedge (if one is sent) always goes to the other replica and always wins.
 */
const HEDGE_AFTER_MS = 20;

interface Hold {
  /** The replica holding the call. */
  readonly replica: string;
  /** Answers the held call (if its client is still there). */
  release(): void;
  /** Resolves when the backend sees the held call's connection close before its answer: the call was cancelled. */
  readonly cancelled: Promise<void>;
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Two replicas, `a` and `b`, answering `{ id: "<id> from <replica>" }`; ids starting `hold` are held on first arrival, `eject` answers 503. */
async function startReplicas() {
  /** What happened, in order, at either replica: `a got hold-1`, `b answered hold-1`, `a saw hold-1 cancelled`, ... */
  const log: string[] = [];
  const holds = new Map<string, ReturnType<typeof deferred<Hold>>>();
  const holdOf = (id: string) => {
    if (!holds.has(id)) holds.set(id, deferred<Hold>());
    return holds.get(id)!;
  };
  const seen = new Set<string>();
  const answer = (name: string, id: string, response: ServerResponse) => {
    log.push(`${name} answered ${id}`);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `${id} from ${name}`, served: 1 }));
  };
  const handler = (name: string) => (request: IncomingMessage, response: ServerResponse) => {
    const id = itemIdOf(request.url);
    log.push(`${name} got ${id}`);
    if (id.startsWith('eject')) {
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"down"}');
      return;
    }
    const first = !seen.has(id);
    seen.add(id);
    if (!id.startsWith('hold') || !first) return answer(name, id, response);
    const cancelled = deferred();
    response.on('close', () => {
      if (response.writableFinished) return;
      log.push(`${name} saw ${id} cancelled`);
      cancelled.resolve();
    });
    holdOf(id).resolve({
      replica: name,
      cancelled: cancelled.promise,
      release() {
        log.push(`${name} released ${id}`);
        if (!response.destroyed) answer(name, id, response);
      },
    });
  };
  const a = await startHttpBackend(handler('a'));
  const b = await startHttpBackend(handler('b'));
  const nameOf = new Map([
    [a.url, 'a'],
    [b.url, 'b'],
  ]);
  return {
    a,
    b,
    log,
    nameOf,
    /** The held first call of `id`, once it has arrived. */
    held: (id: string) => holdOf(id).promise,
    /** The log lines about `id`. */
    about: (id: string) => log.filter((line) => line.endsWith(` ${id}`) || line.includes(` ${id} `)),
  };
}

const other = (replica: string) => (replica === 'a' ? 'b' : 'a');

async function retriesMetric(gateway: Gateway, kind: string): Promise<number> {
  const text = await (await gateway.fetch('http://gateway.test/metrics')).text();
  return sumOf(parsePrometheusText(text), 'interchange_source_retries_total', { source: 'flaky', kind });
}

/**
 * Lets every gateway timer due within `ms` run first: Node runs timers in the order they fall due, and the
 * gateway's hedge timer was set (before the held call even left the gateway) to fall due before this one does.
 * This waits for an event the gateway has already scheduled, not for luck; the hedge decision is synchronous in
 * that timer (the metric and the replica pick), so once this resolves the decision has been made.
 */
function afterTimersDueWithin(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('hedging against two real replicas', () => {
  const cleanup: (() => PromiseLike<void>)[] = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });

  async function setUp(source: Record<string, unknown>) {
    const replicas = await startReplicas();
    cleanup.push(replicas.a.close, replicas.b.close);
    const gateway = await flakyGateway([replicas.a.url, replicas.b.url], { balance: 'round-robin', timeoutMs: 25_000, ...source });
    cleanup.push(() => gateway[Symbol.asyncDispose]());
    return { replicas, gateway };
  }

  it('answers a slow read from the other replica while the first still holds, and cancels the first call', async () => {
    const { replicas, gateway } = await setUp({ retry: { hedgeAfterMs: HEDGE_AFTER_MS } });
    const answer = query(gateway, '{ item(id: "hold-1") { id } }');
    const held = await replicas.held('hold-1');
    const fast = other(held.replica);

    // (a) The hedge's answer, from the other replica, while the held one has not been released.
    expect(await answer).toEqual({ data: { item: { id: `hold-1 from ${fast}` } } });
    // (b) The backend sees the held call's connection close: the gateway cancelled it, before any release.
    await held.cancelled;
    held.release();
    expect(replicas.about('hold-1')).toEqual([
      `${held.replica} got hold-1`,
      `${fast} got hold-1`,
      `${fast} answered hold-1`,
      `${held.replica} saw hold-1 cancelled`,
      // Released after the cancel: its answer had nowhere to go and was not written.
      `${held.replica} released hold-1`,
    ]);
    expect(await retriesMetric(gateway, 'hedge')).toBe(1);
    expect(await retriesMetric(gateway, 'budget_exhausted')).toBe(0);

    // (That a read answered within hedgeAfterMs is not hedged depends on the machine's speed: the unit test
    // proves it with fake timers.)
  });

  it('sends no hedge when the retry budget is spent', async () => {
    const { replicas, gateway } = await setUp({ retry: { hedgeAfterMs: HEDGE_AFTER_MS, budgetPercent: 0, minPerSecond: 0 } });
    const answer = query(gateway, '{ item(id: "hold-2") { id } }');
    const held = await replicas.held('hold-2');
    // The hedge fell due and the budget refused it.
    await eventually('the budget refusing the hedge', async () => (await retriesMetric(gateway, 'budget_exhausted')) === 1);
    held.release();
    expect(await answer).toEqual({ data: { item: { id: `hold-2 from ${held.replica}` } } });
    expect(replicas.about('hold-2')).toEqual([`${held.replica} got hold-2`, `${held.replica} released hold-2`, `${held.replica} answered hold-2`]);
    expect(await retriesMetric(gateway, 'hedge')).toBe(0);
  });

  it('sends no hedge when the other replica is ejected (none free), and draws nothing from the budget', async () => {
    const { replicas, gateway } = await setUp({ retry: { attempts: 0, hedgeAfterMs: HEDGE_AFTER_MS }, health: { failures: 1, ejectionMs: 600_000 } });
    // One failed call ejects the replica it reached (at most one of two may be out).
    const failed = await query(gateway, '{ item(id: "eject-1") { id } }');
    expect(failed.errors?.[0]?.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'flaky' });
    const metrics = parsePrometheusText(await (await gateway.fetch('http://gateway.test/metrics')).text());
    const ejected = [replicas.a.url, replicas.b.url].filter((url) => sumOf(metrics, 'interchange_replica_ejections_total', { source: 'flaky', endpoint: url }) === 1);
    expect(ejected).toHaveLength(1);
    const out = replicas.nameOf.get(ejected[0]!)!;
    const hedgesBefore = await retriesMetric(gateway, 'hedge');

    const answer = query(gateway, '{ item(id: "hold-3") { id } }');
    const held = await replicas.held('hold-3');
    expect(held.replica).toBe(other(out));
    await afterTimersDueWithin(HEDGE_AFTER_MS * 3);
    expect(await retriesMetric(gateway, 'hedge')).toBe(hedgesBefore);
    expect(await retriesMetric(gateway, 'budget_exhausted')).toBe(0);
    held.release();
    expect(await answer).toEqual({ data: { item: { id: `hold-3 from ${held.replica}` } } });
    // One call, to the replica still in; none to the ejected one, and no second call to the held one.
    expect(replicas.about('hold-3')).toEqual([`${held.replica} got hold-3`, `${held.replica} released hold-3`, `${held.replica} answered hold-3`]);
  });

  it('never hedges a mutation', async () => {
    const { replicas, gateway } = await setUp({ retry: { hedgeAfterMs: HEDGE_AFTER_MS } });
    const answer = query(gateway, 'mutation { touchItem(id: "hold-4") { id } }');
    const held = await replicas.held('hold-4');
    await afterTimersDueWithin(HEDGE_AFTER_MS * 3);
    expect(await retriesMetric(gateway, 'hedge')).toBe(0);
    expect(await retriesMetric(gateway, 'budget_exhausted')).toBe(0);
    held.release();
    expect(await answer).toEqual({ data: { touchItem: { id: `hold-4 from ${held.replica}` } } });
    expect(replicas.about('hold-4')).toEqual([`${held.replica} got hold-4`, `${held.replica} released hold-4`, `${held.replica} answered hold-4`]);
  });
});
