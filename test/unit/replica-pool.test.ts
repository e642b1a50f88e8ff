import { afterEach, describe, expect, it, vi } from 'vitest';
import { passiveHealthSettingsOf } from '../../src/pipeline/replica-health.js';
import { createReplicaPool, createReplicaStates, type ReplicaPoolOptions } from '../../src/pipeline/replicas.js';
import type { SourceCall } from '../../src/pipeline/types.js';
import { requestStateOf } from '../../src/request/state.js';
import type { Replica } from '../../src/sources/endpoints.js';
import { TransportError, type OperationSpec, type Transport } from '../../src/sources/types.js';
import { sourceCall } from '../helpers/source-call.js';

const query: OperationSpec = { rootType: 'Query', fieldName: 'product', operationId: 'product', readOnly: true };

function call(overrides: Partial<SourceCall> = {}): SourceCall {
  return sourceCall({ operation: query, ...overrides });
}

/** A call made for a request carrying `headers`. */
function callWith(headers: Record<string, string>): SourceCall {
  return call({ request: requestStateOf({ request: new Request('http://gateway.test/graphql', { headers }) }) });
}

/** Endpoints answer with their own name unless `down` says otherwise; `hold` keeps calls pending. Every call is recorded. */
function transport() {
  const calls: string[] = [];
  const down = new Map<string, () => never>();
  const held = new Set<string>();
  const releases: (() => void)[] = [];
  const t: Transport & { calls: string[]; down: typeof down; held: typeof held; release(): void } = {
    calls,
    down,
    held,
    release: () => releases.splice(0).forEach((r) => r()),
    async call(endpoint) {
      calls.push(endpoint);
      if (held.has(endpoint)) await new Promise<void>((resolve) => releases.push(resolve));
      down.get(endpoint)?.();
      return endpoint;
    },
    async *subscribe(endpoint) {
      calls.push(endpoint);
      down.get(endpoint)?.();
      yield `${endpoint}:1`;
      yield `${endpoint}:2`;
    },
    async [Symbol.asyncDispose]() {},
  };
  return t;
}

const refused = () => {
  throw new TransportError('unavailable', 'connection refused');
};
const badRequest = () => {
  throw new TransportError('rejected', 'HTTP 400', { status: 400 });
};

function pool(t: Transport, replicas: readonly (Replica | string)[], options: Partial<ReplicaPoolOptions> = {}) {
  return createReplicaPool({ replicas, transport: t, ...options });
}

async function settle(run: Promise<unknown>): Promise<unknown> {
  return run.catch((error: unknown) => error);
}

function counts(calls: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) out[c] = (out[c] ?? 0) + 1;
  return out;
}

describe('the replica pool: balancing', () => {
  it('round-robin takes the replicas in turn', async () => {
    const t = transport();
    const p = pool(t, ['a', 'b', 'c'], { balance: 'round-robin' });
    for (let i = 0; i < 6; i++) await p.call(call());
    expect(t.calls).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('least-outstanding sends new calls away from a replica with calls in flight', async () => {
    const t = transport();
    const p = pool(t, ['a', 'b']);
    t.held.add('a');
    const first = p.call(call());
    expect(t.calls).toEqual(['a']);
    // a has one call in flight: the next four all go to b, which answers at once.
    for (let i = 0; i < 4; i++) await p.call(call());
    expect(t.calls).toEqual(['a', 'b', 'b', 'b', 'b']);
    t.held.delete('a');
    t.release();
    await first;
    // Idle again: ties go round.
    t.calls.length = 0;
    for (let i = 0; i < 4; i++) await p.call(call());
    expect(counts(t.calls)).toEqual({ a: 2, b: 2 });
  });

  it('weighted gives each replica its share, exactly over a full turn', async () => {
    const t = transport();
    const p = pool(t, [{ url: 'a', weight: 3, group: 'default' }, { url: 'b', weight: 1, group: 'default' }], { balance: 'weighted' });
    for (let i = 0; i < 8; i++) await p.call(call());
    expect(counts(t.calls)).toEqual({ a: 6, b: 2 });
    // Smooth: b's turns are spread out, not bunched.
    expect(t.calls.slice(0, 4).filter((c) => c === 'b')).toHaveLength(1);
  });

  it('splits traffic between groups by their weights, and a route rule pins a request to its group', async () => {
    const t = transport();
    const replicas: Replica[] = [
      { url: 's1', weight: 1, group: 'stable' },
      { url: 's2', weight: 1, group: 'stable' },
      { url: 'c1', weight: 1, group: 'canary' },
    ];
    const p = pool(t, replicas, { groups: { stable: 95, canary: 5 }, route: [{ header: 'x-canary', equals: '1', group: 'canary' }] });
    for (let i = 0; i < 100; i++) await p.call(call());
    expect(counts(t.calls)).toEqual({ s1: 48, s2: 47, c1: 5 });
    t.calls.length = 0;
    for (let i = 0; i < 10; i++) await p.call(callWith({ 'x-canary': '1' }));
    for (let i = 0; i < 10; i++) await p.call(callWith({ 'x-canary': '0' }));
    expect(t.calls.slice(0, 10)).toEqual(Array(10).fill('c1'));
    expect(t.calls.slice(10).filter((c) => c === 'c1').length).toBeLessThanOrEqual(1);
  });

  it('a group not weighted gets traffic only through a route rule', async () => {
    const t = transport();
    const p = pool(t, [{ url: 's1', weight: 1, group: 'stable' }, { url: 'c1', weight: 1, group: 'canary' }], {
      groups: { stable: 1 },
      route: [{ header: 'x-canary', equals: 'yes', group: 'canary' }],
    });
    for (let i = 0; i < 5; i++) await p.call(call());
    await p.call(callWith({ 'x-canary': 'yes' }));
    expect(t.calls).toEqual(['s1', 's1', 's1', 's1', 's1', 'c1']);
  });

  it('goes to a replica this call has not tried yet, and records the one it took', async () => {
    const t = transport();
    const p = pool(t, ['a', 'b', 'c'], { balance: 'round-robin' });
    const tried = new Set(['a', 'b']);
    expect(await p.call(call({ tried }))).toBe('c');
    expect([...tried]).toEqual(['a', 'b', 'c']);
    // Everything tried: it still answers, from a replica that takes traffic.
    expect(['a', 'b', 'c']).toContain(await p.call(call({ tried })));
  });
});

describe('the replica pool: passive health', () => {
  const health = passiveHealthSettingsOf({ failures: 3, windowMs: 10_000, ejectionMs: 1_000, maxEjectionMs: 10_000, maxEjectedPercent: 50 });

  it('ejects a replica after failures in a row, for a back-off that grows while it keeps failing', async () => {
    let now = 0;
    const t = transport();
    t.down.set('a', refused);
    const p = pool(t, ['a', 'b'], { balance: 'round-robin', health, now: () => now });
    for (let i = 0; i < 6; i++) await settle(p.call(call()));
    expect(counts(t.calls)).toEqual({ a: 3, b: 3 });
    expect(p.status()[0]).toMatchObject({ url: 'a', condition: 'ejected', ejections: 1, ejectedUntil: new Date(1_000).toISOString() });
    t.calls.length = 0;
    for (let i = 0; i < 4; i++) await p.call(call());
    expect(t.calls).toEqual(['b', 'b', 'b', 'b']);

    // Ejection over: one trial call, which fails: out again for twice as long.
    now = 1_000;
    expect(p.status()[0]!.condition).toBe('probation');
    t.calls.length = 0;
    for (let i = 0; i < 4; i++) await settle(p.call(call()));
    expect(counts(t.calls)).toEqual({ a: 1, b: 3 });
    expect(p.status()[0]).toMatchObject({ condition: 'ejected', ejections: 2, ejectedUntil: new Date(3_000).toISOString() });

    // Back: the trial succeeds and a takes its share again.
    now = 3_000;
    t.down.delete('a');
    t.calls.length = 0;
    for (let i = 0; i < 4; i++) await p.call(call());
    expect(counts(t.calls)).toEqual({ a: 2, b: 2 });
    expect(p.status()[0]!.condition).toBe('up');
  });

  it('counts only failures in a row within the window; a 4xx is an answer', async () => {
    let now = 0;
    const t = transport();
    const p = pool(t, ['a', 'b'], { health, now: () => now });
    const only = (c: SourceCall) => ({ ...c, tried: new Set(['b']) });
    t.down.set('a', refused);
    await settle(p.call(only(call())));
    await settle(p.call(only(call())));
    t.down.set('a', badRequest);
    await settle(p.call(only(call())));
    t.down.set('a', refused);
    await settle(p.call(only(call())));
    await settle(p.call(only(call())));
    expect(p.status()[0]!.condition).toBe('up');
    now = 20_000; // the streak's first failure is out of the window: it starts again
    await settle(p.call(only(call())));
    expect(p.status()[0]!.condition).toBe('up');
  });

  it('sends one trial call at a time to a replica in probation', async () => {
    let now = 0;
    const t = transport();
    t.down.set('a', refused);
    const p = pool(t, ['a', 'b'], { balance: 'round-robin', health, now: () => now });
    for (let i = 0; i < 6; i++) await settle(p.call(call()));
    now = 1_000;
    t.down.delete('a');
    t.held.add('a');
    t.calls.length = 0;
    const trial = p.call(call());
    for (let i = 0; i < 5; i++) await p.call(call());
    expect(t.calls).toEqual(['a', 'b', 'b', 'b', 'b', 'b']);
    t.release();
    expect(await trial).toBe('a');
  });

  it('never ejects more than its share of the pool: when every replica fails, calls keep spreading', async () => {
    const t = transport();
    for (const r of ['a', 'b', 'c', 'd']) t.down.set(r, refused);
    const p = pool(t, ['a', 'b', 'c', 'd'], { balance: 'round-robin', health, now: () => 0 });
    for (let i = 0; i < 40; i++) await settle(p.call(call()));
    expect(p.status().filter((r) => r.condition === 'ejected')).toHaveLength(2);
    t.calls.length = 0;
    for (let i = 0; i < 8; i++) await settle(p.call(call()));
    expect(Object.keys(counts(t.calls))).toHaveLength(2);
    expect(Object.values(counts(t.calls))).toEqual([4, 4]);
  });

  it('keeps health in the retained state, so the next generation\'s pool starts from it', async () => {
    const states = createReplicaStates(() => 0);
    const t = transport();
    t.down.set('a', refused);
    const first = pool(t, ['a', 'b'], { balance: 'round-robin', health, states, now: () => 0 });
    for (let i = 0; i < 6; i++) await settle(first.call(call()));
    const next = pool(transport(), ['a', 'b'], { health, states, now: () => 500 });
    expect(next.status().map((r) => r.condition)).toEqual(['ejected', 'up']);
  });

  it('takes a replica failing its active health check out of the rotation until it passes again', async () => {
    const t = transport();
    const p = pool(t, ['a', 'b'], { balance: 'round-robin' });
    p.setActiveHealth('a', false);
    for (let i = 0; i < 3; i++) await p.call(call());
    expect(t.calls).toEqual(['b', 'b', 'b']);
    expect(p.status()[0]).toMatchObject({ condition: 'unhealthy', activeHealthy: false });
    p.setActiveHealth('a', true);
    await p.call(call());
    await p.call(call());
    expect(t.calls.slice(3).sort()).toEqual(['a', 'b']);
  });
});

describe('the replica pool: a free replica for a hedge', () => {
  it('is one this call has not tried that takes traffic, in the group the call may go to; asking turns nothing', async () => {
    const t = transport();
    const p = pool(t, ['a', 'b'], { balance: 'round-robin' });
    expect(p.hasFreeReplica(call(), new Set(['a']))).toBe(true);
    expect(p.hasFreeReplica(call(), new Set(['a', 'b']))).toBe(false);
    p.setActiveHealth('b', false);
    expect(p.hasFreeReplica(call(), new Set(['a']))).toBe(false);
    expect(p.hasFreeReplica(call(), new Set(['b']))).toBe(true);
    p.setActiveHealth('b', true);
    // Asking changed no turn of the rotation.
    await p.call(call());
    await p.call(call());
    expect(t.calls).toEqual(['a', 'b']);

    const grouped = pool(t, [{ url: 's1', weight: 1, group: 'stable' }, { url: 's2', weight: 1, group: 'stable' }, { url: 'c1', weight: 1, group: 'canary' }], {
      groups: { stable: 1 },
      route: [{ header: 'x-canary', equals: '1', group: 'canary' }],
    });
    // A pinned request has only its group; an unpinned one only the weighted groups.
    expect(grouped.hasFreeReplica(callWith({ 'x-canary': '1' }), new Set(['c1']))).toBe(false);
    expect(grouped.hasFreeReplica(call(), new Set(['s1']))).toBe(true);
    expect(grouped.hasFreeReplica(call(), new Set(['s1', 's2']))).toBe(false);
  });
});

describe('the replica pool: per-replica breakers', () => {
  afterEach(() => void vi.useRealTimers());

  it('opens a replica\'s breaker on its error rate, skips it while open, and probes it half-open', async () => {
    vi.useFakeTimers();
    const t = transport();
    let flaky = 0;
    // a fails every other call: never 3 in a row, so passive health keeps it; its error rate opens its breaker.
    t.down.set('a', () => {
      if (flaky++ % 2 === 0) refused();
      return undefined as never;
    });
    const circuit = { errorPercent: 40, consecutiveFailures: 0, minCalls: 4, windowMs: 10_000, openMs: 2_000 };
    const p = pool(t, ['a', 'b'], { balance: 'round-robin', health: passiveHealthSettingsOf({ failures: 3 }), circuit });
    for (let i = 0; i < 10; i++) await settle(p.call(call({ tried: new Set(['b']) })));
    expect(p.status()[0]).toMatchObject({ condition: 'circuit-open', circuit: 'open' });
    t.calls.length = 0;
    for (let i = 0; i < 4; i++) await p.call(call());
    expect(t.calls).toEqual(['b', 'b', 'b', 'b']);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(p.status()[0]!.circuit).toBe('half-open');
    t.down.delete('a');
    t.calls.length = 0;
    for (let i = 0; i < 4; i++) await p.call(call());
    expect(t.calls).toContain('a');
    expect(p.status()[0]!.circuit).toBe('closed');
    createReplicaStates()[Symbol.dispose]();
  });
});

describe('the replica pool: streams', () => {
  it('opens a stream on the next replica when one refuses, and passes every message on', async () => {
    const t = transport();
    t.down.set('a', refused);
    const p = pool(t, ['a', 'b'], { balance: 'round-robin' });
    const received: unknown[] = [];
    for await (const message of p.open(call())) received.push(message);
    expect(received).toEqual(['b:1', 'b:2']);
    expect(t.calls).toEqual(['a', 'b']);
  });

  it('closes the backend stream when the client stops reading', async () => {
    let closed = false;
    const streaming: Transport = {
      call: async () => null,
      async *subscribe() {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          closed = true;
        }
      },
      async [Symbol.asyncDispose]() {},
    };
    const p = pool(streaming, ['a']);
    for await (const message of p.open(call())) if (message === 2) break;
    expect(closed).toBe(true);
  });
});
