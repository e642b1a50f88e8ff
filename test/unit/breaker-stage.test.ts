import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createBreakerStage, createStreamBreakerStage, retainedSourceCircuit } from '../../src/pipeline/breaker.js';
import { circuitSettingsOf, createCircuit, type Circuit, type CircuitState } from '../../src/pipeline/circuit.js';
import { TransportError } from '../../src/sources/types.js';
import { sourceCall } from '../helpers/source-call.js';

const settings = { errorPercent: 50, consecutiveFailures: 0, minCalls: 4, windowMs: 10_000, openMs: 5_000 };

describe('the breaker stage', () => {
  let circuit: Circuit;
  const changes: CircuitState[] = [];
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    changes.length = 0;
    circuit = createCircuit(settings, { name: 'logistics', onStateChange: (state) => changes.push(state) });
  });
  afterEach(() => {
    circuit[Symbol.dispose]();
    vi.useRealTimers();
  });

  /** A counting `next` that fails the backend's way while `down` is set. */
  function backend() {
    const state = { down: true, calls: 0 };
    const next = async () => {
      state.calls++;
      if (state.down) throw new TransportError('unavailable', 'HTTP 503', { status: 503 });
      return 'ok';
    };
    return Object.assign(state, { next });
  }

  it('opens on the error rate once the minimum volume is reached, then fails fast with CIRCUIT_OPEN without calling', async () => {
    const stage = createBreakerStage(circuit);
    const b = backend();
    for (let i = 0; i < 3; i++) await expect(stage(sourceCall(), b.next)).rejects.toMatchObject({ failure: 'unavailable', code: undefined });
    expect(circuit.state).toBe('closed'); // 3 calls: below minCalls
    await expect(stage(sourceCall(), b.next)).rejects.toMatchObject({ failure: 'unavailable' });
    expect(circuit.state).toBe('open');
    expect(changes).toEqual(['open']);
    await expect(stage(sourceCall(), b.next)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', failure: 'unavailable' });
    expect(b.calls).toBe(4);
  });

  it('half-opens after openMs with one probe call, and closes when it succeeds', async () => {
    const stage = createBreakerStage(circuit);
    const b = backend();
    for (let i = 0; i < 4; i++) await stage(sourceCall(), b.next).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(circuit.state).toBe('half-open');
    b.down = false;
    let releaseProbe!: () => void;
    const probe = stage(sourceCall(), () => new Promise((resolve) => (releaseProbe = () => resolve('probe ok'))));
    // While the probe is out, others still fail fast.
    await expect(stage(sourceCall(), b.next)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    releaseProbe();
    expect(await probe).toBe('probe ok');
    expect(circuit.state).toBe('closed');
    expect(await stage(sourceCall(), b.next)).toBe('ok');
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('opens again when the probe fails', async () => {
    const stage = createBreakerStage(circuit);
    const b = backend();
    for (let i = 0; i < 4; i++) await stage(sourceCall(), b.next).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(stage(sourceCall(), b.next)).rejects.toMatchObject({ failure: 'unavailable', code: undefined });
    expect(circuit.state).toBe('open');
  });

  it('stays open when the half-open probe gets no answer (budget spent, client gone), and closes on a probe the backend answered, even with a 4xx', async () => {
    const stage = createBreakerStage(circuit);
    const b = backend();
    for (let i = 0; i < 4; i++) await stage(sourceCall(), b.next).catch(() => undefined);
    const noAnswers = [
      new TransportError('timeout', `the request's time budget is spent`, { timeoutMs: 0 }, { byBudget: true }),
      new DOMException('client went away', 'AbortError'),
      new TransportError('unavailable', 'overloaded', {}, { code: 'SOURCE_OVERLOADED' }),
    ];
    for (const error of noAnswers) {
      await vi.advanceTimersByTimeAsync(5_000);
      expect(circuit.state).toBe('half-open');
      await expect(stage(sourceCall(), () => Promise.reject(error))).rejects.toBe(error);
      expect(circuit.state).toBe('open');
      await expect(stage(sourceCall(), b.next)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    }
    await vi.advanceTimersByTimeAsync(5_000);
    const notFound = new TransportError('rejected', 'HTTP 404', { status: 404 });
    await expect(stage(sourceCall(), () => Promise.reject(notFound))).rejects.toBe(notFound);
    expect(circuit.state).toBe('closed');
    expect(changes).toEqual(['open', 'half-open', 'open', 'half-open', 'open', 'half-open', 'open', 'half-open', 'closed']);
  });

  it('a call let through while closed that ends with no answer during half-open changes nothing: the probe still decides', async () => {
    const stage = createBreakerStage(circuit);
    const b = backend();
    let abandon!: () => void;
    const early = stage(sourceCall(), () => new Promise((_resolve, reject) => (abandon = () => reject(new DOMException('client went away', 'AbortError')))));
    for (let i = 0; i < 4; i++) await stage(sourceCall(), b.next).catch(() => undefined);
    expect(circuit.state).toBe('open');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(circuit.state).toBe('half-open');
    abandon();
    await expect(early).rejects.toThrow('client went away');
    expect(circuit.state).toBe('half-open');
    expect(circuit.admits).toBe(true); // the probe's slot is still free
    b.down = false;
    expect(await stage(sourceCall(), b.next)).toBe('ok');
    expect(circuit.state).toBe('closed');
  });

  it('counts only backend failures: a 4xx, a bad body or the client going away never open it', async () => {
    const stage = createBreakerStage(circuit);
    const errors = [
      new TransportError('rejected', 'HTTP 404', { status: 404 }),
      new TransportError('bad-response', 'not JSON'),
      new DOMException('client went away', 'AbortError'),
      new TransportError('unavailable', 'overloaded', {}, { code: 'SOURCE_OVERLOADED' }),
    ];
    for (let round = 0; round < 5; round++) {
      for (const error of errors) await stage(sourceCall(), () => Promise.reject(error)).catch(() => undefined);
    }
    expect(circuit.state).toBe('closed');
  });

  it('forgets failures older than the rolling window', async () => {
    const stage = createBreakerStage(circuit);
    const b = backend();
    for (let i = 0; i < 3; i++) await stage(sourceCall(), b.next).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(11_000);
    await stage(sourceCall(), b.next).catch(() => undefined);
    expect(circuit.state).toBe('closed');
  });

  it('opens after consecutiveFailures in a row even when the window is full of earlier successes', async () => {
    const inARow = createCircuit({ ...settings, consecutiveFailures: 5 }, { name: 'logistics' });
    const stage = createBreakerStage(inARow);
    const b = backend();
    b.down = false;
    for (let i = 0; i < 100; i++) await stage(sourceCall(), b.next);
    b.down = true;
    for (let i = 0; i < 4; i++) await stage(sourceCall(), b.next).catch(() => undefined);
    expect(inARow.state).toBe('closed'); // 4 of 104: the rate alone would stay closed for the whole window
    await stage(sourceCall(), b.next).catch(() => undefined);
    expect(inARow.state).toBe('open');
    inARow[Symbol.dispose]();
  });

  it('as the source\'s breaker, counts every replica\'s breaker being open as a failure, and its own SOURCE_OVERLOADED as nothing', async () => {
    const kept = new Map<string, unknown>();
    const context = {
      retain: <T>(key: string, create: () => T) => (kept.has(key) ? kept.get(key) : kept.set(key, create()).get(key)) as T,
      onCommit: (apply: () => void) => apply(),
      source: { name: 'logistics' } as never,
      logger: silentLogger,
      metrics: createMetrics(),
    };
    const sourceCircuit = retainedSourceCircuit(context, settings);
    expect(retainedSourceCircuit(context, settings)).toBe(sourceCircuit); // kept, as across a reload
    const stage = createBreakerStage(sourceCircuit);
    const overloaded = new TransportError('unavailable', 'busy', {}, { code: 'SOURCE_OVERLOADED' });
    for (let i = 0; i < 4; i++) await stage(sourceCall(), () => Promise.reject(overloaded)).catch(() => undefined);
    expect(sourceCircuit.state).toBe('closed'); // 4 calls, minCalls reached: as failures they would have opened it
    const replicasOpen = new TransportError('unavailable', 'replica circuit open', {}, { code: 'CIRCUIT_OPEN' });
    for (let i = 0; i < 5; i++) await stage(sourceCall(), () => Promise.reject(replicasOpen)).catch(() => undefined);
    expect(sourceCircuit.state).toBe('open'); // 5 failures of 9 calls
    expect(await context.metrics.registry.getSingleMetricAsString('interchange_circuit_state')).toContain('interchange_circuit_state{source="logistics",endpoint="*"} 2');
    sourceCircuit[Symbol.dispose]();
  });

  it('guards a stream while it opens', async () => {
    const stage = createStreamBreakerStage(circuit);
    const failing = () => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new TransportError('unavailable', 'refused')) }),
    });
    for (let i = 0; i < 4; i++) {
      await (async () => {
        for await (const _ of stage(sourceCall(), failing)) void _;
      })().catch(() => undefined);
    }
    const open = (async () => {
      for await (const _ of stage(sourceCall(), failing)) void _;
    })();
    await expect(open).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
  });

  it('is on by default, off with enabled: false, and takes its thresholds from the config', () => {
    expect(circuitSettingsOf(undefined)).toEqual({ errorPercent: 50, consecutiveFailures: 10, minCalls: 20, windowMs: 10_000, openMs: 5_000 });
    expect(circuitSettingsOf({ enabled: false })).toBeUndefined();
    expect(circuitSettingsOf({ openMs: 1_000, minCalls: 5 })).toMatchObject({ openMs: 1_000, minCalls: 5, errorPercent: 50 });
  });
});
