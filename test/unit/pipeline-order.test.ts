import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/cache/store.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { BUILTIN_STAGES, composeStages, createRetainedState, createSourcePipeline, orderStages, type PipelineStage, type SourceCall } from '../../src/pipeline/index.js';
import { TransportError, type Transport } from '../../src/sources/types.js';
import { demoConfig, rawSource } from '../helpers/in-memory-demo.js';
import { sourceCall } from '../helpers/source-call.js';

/**
 * The order of the source-call pipeline is decided in one list; these tests pin it, where extra stages go, and
 * what the metrics stage records (the code the client gets, hits as hits).
 */
const call = sourceCall;

function countingTransport(answer: (endpoint: string) => unknown = () => ({ id: 'p1' })): Transport & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async call(endpoint) {
      calls.push(endpoint);
      return answer(endpoint);
    },
    async [Symbol.asyncDispose]() {},
  };
}

/** A stage that records when it runs, to see the order from inside. */
function tracer(name: string, log: string[], before?: PipelineStage['before']): PipelineStage {
  return {
    name,
    ...(before ? { before } : {}),
    call: () => async (c, next) => {
      log.push(`${name}:in`);
      try {
        return await next(c);
      } finally {
        log.push(`${name}:out`);
      }
    },
  };
}

function pipelineFor(sourceName: string, options: { stages?: PipelineStage[]; transport?: Transport; edit?: (raw: Record<string, unknown>) => void } = {}) {
  const config = demoConfig(options.edit);
  const source = config.sources.find((s) => s.name === sourceName)!;
  const metrics = createMetrics();
  const retained = createRetainedState().lease();
  const pipeline = createSourcePipeline({
    context: { config, source, logger: silentLogger, metrics, store: createMemoryStore(100) },
    retained,
    transport: options.transport ?? countingTransport(),
    ...(options.stages ? { extraStages: options.stages } : {}),
  });
  retained.commit();
  return { pipeline, metrics };
}

describe('the pipeline order', () => {
  it('is metrics ▸ tracing ▸ auth ▸ error mapping ▸ fallback ▸ cache ▸ breaker ▸ backpressure ▸ retry ▸ timeout, then replicas', () => {
    expect(BUILTIN_STAGES.map((s) => s.name)).toEqual(['metrics', 'tracing', 'auth', 'error-mapping', 'fallback', 'cache', 'breaker', 'backpressure', 'retry', 'timeout']);
    // Stages a source's config leaves out (no tracing, no auth.jwt, no fallback configured) take no place in a built pipeline.
    expect(pipelineFor('inventory').pipeline.order).toEqual(['metrics', 'error-mapping', 'cache', 'breaker', 'backpressure', 'retry', 'timeout', 'replicas']);
    const bare = pipelineFor('inventory', {
      edit: (raw) => void Object.assign(rawSource(raw, 'inventory'), { breaker: { enabled: false }, retry: { attempts: 0 }, operations: { product: { fallback: null } } }),
    });
    expect(bare.pipeline.order).toEqual(['metrics', 'error-mapping', 'fallback', 'cache', 'backpressure', 'timeout', 'replicas']);
  });

  it('puts an extra stage before the built-in stage it names, by default right outside the timeout', async () => {
    const log: string[] = [];
    const stages = [tracer('signing', log), tracer('audit', log, 'cache'), tracer('before-breaker', log, 'breaker')];
    expect(orderStages(stages).map((s) => s.name)).toEqual([
      'metrics',
      'tracing',
      'auth',
      'error-mapping',
      'fallback',
      'audit',
      'cache',
      'before-breaker',
      'breaker',
      'backpressure',
      'retry',
      'signing',
      'timeout',
    ]);
    const { pipeline } = pipelineFor('inventory', { stages });
    await pipeline.call(call());
    expect(log).toEqual(['audit:in', 'before-breaker:in', 'signing:in', 'signing:out', 'before-breaker:out', 'audit:out']);
  });

  it('refuses two stages with one name', () => {
    expect(() => orderStages([{ name: 'cache' }])).toThrow('"cache" is defined twice');
    expect(() => orderStages([{ name: 'x' }, { name: 'x' }])).toThrow('"x" is defined twice');
  });

  it('a stage outside the cache sees every call; one inside it only those that reach the backend', async () => {
    const log: string[] = [];
    const { pipeline } = pipelineFor('inventory', {
      stages: [tracer('outside', log, 'cache'), tracer('inside', log)],
      edit: (raw) => void (rawSource(raw, 'inventory')['cache'] = { ttl: 60 }),
    });
    await pipeline.call(call());
    await pipeline.call(call());
    expect(log.filter((l) => l.endsWith(':in'))).toEqual(['outside:in', 'inside:in', 'outside:in']);
  });

  it('labels metrics with the client-facing code, and fresh cache hits as hits', async () => {
    const transport = countingTransport((endpoint) => {
      if (endpoint.includes('down')) throw new TransportError('timeout', 'no answer');
      return { id: 'p1' };
    });
    const { pipeline, metrics } = pipelineFor('inventory', { transport, edit: (raw) => void (rawSource(raw, 'inventory')['cache'] = { ttl: 60 }) });
    await pipeline.call(call());
    await pipeline.call(call());
    const down = pipelineFor('logistics', {
      transport,
      edit: (raw) => void (rawSource(raw, 'logistics')['endpoints'] = ['http://down.test']),
    });
    await expect(down.pipeline.call(call({ source: 'logistics' }))).rejects.toMatchObject({ extensions: { code: 'SOURCE_TIMEOUT', source: 'logistics' } });
    const outcomes = async (m: typeof metrics) =>
      (await m.sourceCalls.get()).values.filter((v) => v.metricName?.endsWith('_count')).map((v) => `${v.labels.source}:${v.labels.outcome}=${v.value}`);
    expect(await outcomes(metrics)).toEqual(['inventory:ok=1', 'inventory:hit=1']);
    expect(await outcomes(down.metrics)).toEqual(['logistics:SOURCE_TIMEOUT=1']);
    expect(transport.calls).toHaveLength(2); // the hit never reached the transport
  });
});

describe('composeStages', () => {
  it('runs stages outermost first and hands each the call the previous one passed on', async () => {
    const seen: string[] = [];
    const terminal = async (c: SourceCall) => {
      seen.push(`terminal ${String(c.args['step'])}`);
      return 'done';
    };
    const run = composeStages(
      [
        async (c, next) => {
          seen.push('a');
          return next({ ...c, args: { step: 'from a' } });
        },
        async (c, next) => {
          seen.push(`b ${String(c.args['step'])}`);
          return next(c);
        },
      ],
      terminal,
    );
    expect(await run(call())).toBe('done');
    expect(seen).toEqual(['a', 'b from a', 'terminal from a']);
  });

  it('with no stages is the terminal itself', async () => {
    const terminal = async () => 42;
    expect(await composeStages([], terminal)(call())).toBe(42);
  });
});
