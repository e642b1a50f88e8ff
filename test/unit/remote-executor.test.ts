import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createRemoteExecutor } from '../../src/gateway/remote-executor.js';
import type { SourceRuntime } from '../../src/gateway/source-runtime.js';
import { convertRemoteSchema } from '../../src/sources/graphql/index.js';
import { createGatewayError } from '../../src/errors.js';

const SCHEMA = buildSchema('type Query { a(x: Int): Int  b(y: Int): Int  c: Int }  type Mutation { m1: Int  m2: Int }');

/** A source runtime that records each call's operation and document and answers from `answer`. */
function recordingSource(answer: (field: string, query: string) => unknown) {
  const calls: { operationId: string; fieldName: string; query: string; variables: unknown }[] = [];
  const source = {
    name: 'remote',
    call: async (operation: { operationId: string; fieldName: string }, args: Record<string, unknown>) => {
      calls.push({ operationId: operation.operationId, fieldName: operation.fieldName, query: String(args['query']), variables: args['variables'] });
      return answer(operation.operationId, String(args['query']));
    },
  } as unknown as SourceRuntime;
  return { source, calls };
}

describe('the remote executor', () => {
  const converted = convertRemoteSchema('remote', SCHEMA, { rename: { a: 'alpha' } });

  it('sends a one-field document as it is, under that root field\'s operation', async () => {
    const { source, calls } = recordingSource(() => ({ data: { a: 1 } }));
    const result = await createRemoteExecutor(source, converted)({ document: parse('query Q($x: Int) { __typename a(x: $x) }'), variables: { x: 1 }, operationType: 'query' as never, context: {} });
    expect(result).toEqual({ data: { a: 1 } });
    expect(calls).toEqual([{ operationId: 'Query.a', fieldName: 'alpha', query: expect.stringContaining('a(x: $x)'), variables: { x: 1 } }]);
  });

  it('splits a document with several root fields into one call per field, each with only its variables', async () => {
    const { source, calls } = recordingSource((id) => (id === 'Query.a' ? { data: { one: 1, two: 2 } } : { data: { b: 3 } }));
    const document = parse('query Q($x: Int, $y: Int) { one: a(x: $x) two: a(x: 1) b(y: $y) }');
    const result = await createRemoteExecutor(source, converted)({ document, variables: { x: 5, y: 6 }, operationType: 'query' as never, context: {} });
    expect(result).toEqual({ data: { one: 1, two: 2, b: 3 } });
    expect(calls.map((c) => [c.operationId, c.variables])).toEqual([
      ['Query.a', { x: 5 }],
      ['Query.b', { y: 6 }],
    ]);
    expect(calls[1]!.query).not.toContain('$x');
  });

  it('answers a failed part with null and its error in its own place, the other parts intact', async () => {
    const { source } = recordingSource((id) => {
      if (id === 'Query.b') throw createGatewayError('SOURCE_TIMEOUT', 'remote: too slow', { source: 'remote' });
      return { data: { a: 1 } };
    });
    const result = (await createRemoteExecutor(source, converted)({ document: parse('{ a b }'), operationType: 'query' as never, context: {} })) as unknown as { data: unknown; errors: { path: unknown; extensions: unknown }[] };
    expect(result.data).toEqual({ a: 1, b: null });
    expect(result.errors.map((e) => [e.path, e.extensions])).toEqual([[['b'], { code: 'SOURCE_TIMEOUT', source: 'remote' }]]);
  });

  it('runs the parts of a mutation one after another, in document order', async () => {
    const order: string[] = [];
    let running = 0;
    const { source } = recordingSource(async (id) => {
      running++;
      expect(running).toBe(1);
      order.push(id);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return { data: { [id.split('.')[1]!]: 1 } };
    });
    const result = await createRemoteExecutor(source, converted)({ document: parse('mutation { m2 m1 }'), operationType: 'mutation' as never, context: {} });
    expect(result).toEqual({ data: { m2: 1, m1: 1 } });
    expect(order).toEqual(['Mutation.m2', 'Mutation.m1']);
  });
});

describe('a remote schema\'s public face', () => {
  it('leaves out excluded root fields and the root fields whose type was excluded, keeping renamed ones', () => {
    const schema = buildSchema('type Query { a: A  b: Int  c: [A]  d: Int } type A { x: Int }');
    const converted = convertRemoteSchema('remote', schema, { exclude: ['A', 'd'], rename: { b: 'beta' } });
    expect([...converted.operations.keys()]).toEqual(['Query.beta']);
    expect(converted.typeDefs).not.toMatch(/\bA\b|\bd:/);
    // The excluded ones still have operations the executor could name, never exposed.
    expect(converted.operationByRemoteField.get('Query.b')).toEqual({ rootType: 'Query', fieldName: 'beta', operationId: 'Query.b', readOnly: true });
  });
});
