import type { SourceCall } from '../../src/pipeline/types.js';

/** A read of `inventory.product(id: "p1")` as it enters the pipeline; tests override what they are about. */
export function sourceCall(overrides: Partial<SourceCall> = {}): SourceCall {
  return {
    source: 'inventory',
    operation: { rootType: 'Query', fieldName: 'product', operationId: 'product', readOnly: true },
    args: { id: 'p1' },
    headers: {},
    signal: new AbortController().signal,
    path: ['product'],
    outcome: {},
    bypassCache: false,
    scopeKey: '',
    ...overrides,
  };
}
