import { describe, expect, it } from 'vitest';
import { createFallbackStage } from '../../src/pipeline/fallback.js';
import { TransportError } from '../../src/sources/types.js';
import { sourceCall } from '../helpers/source-call.js';

const fallbackValue = { id: 'p1', name: 'unknown', stock: null };

describe('the fallback stage', () => {
  const stage = createFallbackStage({ fallbackFor: (call) => (call.operation.fieldName === 'product' ? { value: fallbackValue } : undefined) });

  it('passes answers through untouched', async () => {
    const call = sourceCall();
    expect(await stage(call, async () => 'live')).toBe('live');
    expect(call.outcome.fallback).toBeUndefined();
  });

  it('serves the configured value (a copy) after a backend failure, recording the code it stands in for', async () => {
    for (const [error, reason] of [
      [new TransportError('unavailable', 'refused'), 'SOURCE_UNAVAILABLE'],
      [new TransportError('timeout', 'slow'), 'SOURCE_TIMEOUT'],
      [new TransportError('unavailable', 'open', {}, { code: 'CIRCUIT_OPEN' }), 'CIRCUIT_OPEN'],
      [new TransportError('unavailable', 'busy', {}, { code: 'SOURCE_OVERLOADED' }), 'SOURCE_OVERLOADED'],
    ] as const) {
      const call = sourceCall();
      const value = await stage(call, () => Promise.reject(error));
      expect(value).toEqual(fallbackValue);
      expect(value).not.toBe(fallbackValue);
      expect(call.outcome.fallback).toBe(reason);
    }
  });

  it('never papers over a request the backend refused, nor serves operations without a fallback', async () => {
    const rejected = new TransportError('rejected', 'HTTP 404', { status: 404 });
    await expect(stage(sourceCall(), () => Promise.reject(rejected))).rejects.toBe(rejected);
    const other = sourceCall({ operation: { rootType: 'Query', fieldName: 'products', operationId: 'products', readOnly: true } });
    await expect(stage(other, () => Promise.reject(new TransportError('unavailable', 'refused')))).rejects.toMatchObject({ failure: 'unavailable' });
  });

  it('serves a configured null as a value', async () => {
    const nullStage = createFallbackStage({ fallbackFor: () => ({ value: null }) });
    const call = sourceCall();
    expect(await nullStage(call, () => Promise.reject(new TransportError('timeout', 'slow')))).toBeNull();
    expect(call.outcome.fallback).toBe('SOURCE_TIMEOUT');
  });
});
