import { describe, expect, it } from 'vitest';
import { createReplicaPool } from '../../src/pipeline/replicas.js';
import type { SourceCall } from '../../src/pipeline/types.js';
import { TransportError, type OperationSpec, type Transport } from '../../src/sources/types.js';
import { sourceCall } from '../helpers/source-call.js';

const query: OperationSpec = { rootType: 'Query', fieldName: 'product', operationId: 'product', readOnly: true };
const mutation: OperationSpec = { rootType: 'Mutation', fieldName: 'adjustStock', operationId: 'adjustStock', readOnly: false };

function call(operation: OperationSpec = query, signal = new AbortController().signal): SourceCall {
  return sourceCall({ operation, signal });
}

/** Endpoints answer with their own name unless told to fail; every call is recorded. */
function transport(failures: Record<string, () => never> = {}): Transport & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async call(endpoint) {
      calls.push(endpoint);
      failures[endpoint]?.();
      return endpoint;
    },
    async *subscribe(endpoint) {
      calls.push(endpoint);
      failures[endpoint]?.();
      yield `${endpoint}:1`;
      yield `${endpoint}:2`;
    },
    async [Symbol.asyncDispose]() {},
  };
}

const refused = () => {
  throw new TransportError('unavailable', 'connection refused');
};
const http503 = () => {
  throw new TransportError('unavailable', 'HTTP 503', { status: 503 });
};

describe('the replica pool', () => {
  it('spreads calls round-robin', async () => {
    const t = transport();
    const pool = createReplicaPool({ endpoints: ['a', 'b', 'c'], transport: t });
    for (let i = 0; i < 6; i++) await pool.call(call());
    expect(t.calls).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('fails over when a replica cannot be reached, and lets it sit out its cool-down', async () => {
    let now = 0;
    const t = transport({ a: refused });
    const pool = createReplicaPool({ endpoints: ['a', 'b'], transport: t, cooldownMs: 5_000, now: () => now });
    expect(await pool.call(call())).toBe('b');
    expect(await pool.call(call())).toBe('b');
    expect(await pool.call(call())).toBe('b');
    expect(t.calls).toEqual(['a', 'b', 'b', 'b']);
    now = 5_000;
    t.calls.length = 0;
    // Cool-down over: a is tried again in its turn (and fails again).
    await pool.call(call());
    await pool.call(call());
    expect(t.calls).toContain('a');
  });

  it('uses a cooling replica as a last resort when every one is cooling', async () => {
    const down = new Set(['a', 'b']);
    const t: Transport & { calls: string[] } = transport();
    const failing = { ...t, call: async (endpoint: string) => (down.has(endpoint) ? refused() : endpoint) };
    const pool = createReplicaPool({ endpoints: ['a', 'b'], transport: failing, now: () => 0 });
    await expect(pool.call(call())).rejects.toMatchObject({ failure: 'unavailable' });
    down.delete('b');
    expect(await pool.call(call())).toBe('b');
  });

  it('retries a mutation elsewhere only when the connection failed (it cannot have run)', async () => {
    const refusedFirst = transport({ a: refused });
    expect(await createReplicaPool({ endpoints: ['a', 'b'], transport: refusedFirst }).call(call(mutation))).toBe('b');
    const answered503 = transport({ a: http503 });
    await expect(createReplicaPool({ endpoints: ['a', 'b'], transport: answered503 }).call(call(mutation))).rejects.toMatchObject({ details: { status: 503 } });
    expect(answered503.calls).toEqual(['a']);
    // A query may go on after a 503.
    const query503 = transport({ a: http503 });
    expect(await createReplicaPool({ endpoints: ['a', 'b'], transport: query503 }).call(call())).toBe('b');
  });

  it('does not fail over on an answer that is the request\'s fault or a bad body', async () => {
    const t = transport({ a: () => { throw new TransportError('rejected', 'HTTP 400', { status: 400 }); } });
    await expect(createReplicaPool({ endpoints: ['a', 'b'], transport: t }).call(call())).rejects.toMatchObject({ failure: 'rejected' });
    expect(t.calls).toEqual(['a']);
  });

  it('stops trying once the client has gone away', async () => {
    const controller = new AbortController();
    const t = transport({ a: () => { controller.abort(); return refused(); } });
    await expect(createReplicaPool({ endpoints: ['a', 'b'], transport: t }).call(call(query, controller.signal))).rejects.toMatchObject({ failure: 'unavailable' });
    expect(t.calls).toEqual(['a']);
  });

  it('keeps health in the map it is given, so the next generation\'s pool starts from it', async () => {
    const downUntil = new Map<string, number>();
    await createReplicaPool({ endpoints: ['a', 'b'], transport: transport({ a: refused }), downUntil, now: () => 0 }).call(call());
    expect(downUntil.get('a')).toBe(5_000);
    const t = transport();
    const next = createReplicaPool({ endpoints: ['a', 'b'], transport: t, downUntil, now: () => 1_000 });
    await next.call(call());
    await next.call(call());
    expect(t.calls).toEqual(['b', 'b']);
  });

  it('opens a stream on the next replica when one refuses, and passes every message on', async () => {
    const t = transport({ a: refused });
    const pool = createReplicaPool({ endpoints: ['a', 'b'], transport: t });
    const received: unknown[] = [];
    for await (const message of pool.open(call())) received.push(message);
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
    const pool = createReplicaPool({ endpoints: ['a'], transport: streaming });
    for await (const message of pool.open(call())) if (message === 2) break;
    expect(closed).toBe(true);
  });
});
