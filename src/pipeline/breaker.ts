import type { GatewayEvents } from '../observability/events.js';
import type { Logger } from '../observability/logger.js';
import { CIRCUIT_STATE_VALUE, type ResilienceMetrics } from '../observability/resilience-metrics.js';
import { TransportError } from '../sources/types.js';
import { circuitSettingsKey, circuitSettingsOf, createCircuit, type Circuit, type CircuitSettings } from './circuit.js';
import { countsAgainstBackend } from './failures.js';
import type { PipelineStage, StageContext } from './stage.js';
import { continueStream, type Stage, type StreamStage } from './types.js';

/**
 * The source's circuit breaker as a stage. It sits inside the cache stage, so an open breaker fails fast with
 * CIRCUIT_OPEN and the cache can still serve a stale answer (and the fallback stage a fallback) without
 * waiting; and outside retries, so a call that succeeded on its second attempt counts as one success. Each
 * replica has its own breaker too, in the replica pool.
 */
export function createBreakerStage(circuit: Circuit): Stage {
  return function breakerStage(call, next) {
    return circuit.run(() => next(call));
  };
}

/** A stream counts when it opens (its first message or its failure); a stream that has begun is the client's. */
export function createStreamBreakerStage(circuit: Circuit): StreamStage {
  return async function* streamBreakerStage(call, next) {
    const iterator = next(call)[Symbol.asyncIterator]();
    yield* continueStream(iterator, await circuit.run(() => iterator.next()));
  };
}

/**
 * Inside the source's breaker, a CIRCUIT_OPEN can only come from the replicas' breakers: every replica is open,
 * which says the backend is down as much as a failed call does (and must never count as an answer, which would
 * close a half-open source breaker). SOURCE_OVERLOADED, our own refusal, still does not count.
 */
function countsAgainstSource(error: unknown): boolean {
  return countsAgainstBackend(error) || (error instanceof TransportError && error.code === 'CIRCUIT_OPEN');
}

/**
 * The source's breaker, kept across reloads (`retain`, keyed by its settings): same settings, same breaker and
 * state; changed settings start a new one, closed, once the reload is committed. The replaced one keeps serving
 * the generation that was built with it until that generation closes.
 */
export function retainedSourceCircuit(context: Pick<StageContext, 'retain' | 'onCommit' | 'source' | 'logger' | 'metrics' | 'telemetry'>, settings: CircuitSettings): Circuit {
  const circuit = context.retain(`circuit ${circuitSettingsKey(settings)}`, () =>
    createCircuit(settings, {
      name: context.source.name,
      onStateChange: reportState(context.source.name, context.logger, context.metrics.resilience, context.telemetry?.events),
      countsAsFailure: countsAgainstSource,
    }),
  );
  context.onCommit(() => context.metrics.resilience.circuitState.set({ source: context.source.name, endpoint: '*' }, CIRCUIT_STATE_VALUE[circuit.state]));
  return circuit;
}

function reportState(source: string, logger: Logger, metrics: ResilienceMetrics, events: GatewayEvents | undefined) {
  return (state: keyof typeof CIRCUIT_STATE_VALUE) => {
    events?.report({ type: 'breaker', source, state: state === 'half-open' ? 'half_open' : state });
    if (state === 'open') logger.warn({ circuit: state }, 'circuit open: calls fail fast');
    else logger.info({ circuit: state }, state === 'half-open' ? 'circuit half-open: one probe call goes through' : 'circuit closed');
    metrics.circuitState.set({ source, endpoint: '*' }, CIRCUIT_STATE_VALUE[state]);
    metrics.circuitTransitions.inc({ source, endpoint: '*', state });
  };
}

/** `breaker:` of the source (on by default; `enabled: false` leaves the source without this stage). */
export const breakerStage: PipelineStage = {
  name: 'breaker',
  call(context) {
    const settings = circuitSettingsOf(context.source.breaker);
    return settings ? createBreakerStage(retainedSourceCircuit(context, settings)) : undefined;
  },
  stream(context) {
    const settings = circuitSettingsOf(context.source.breaker);
    return settings ? createStreamBreakerStage(retainedSourceCircuit(context, settings)) : undefined;
  },
};
