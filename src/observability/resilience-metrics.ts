import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The resilience metrics (replicas, circuit breakers, retries, backpressure), registered in the gateway's one
 * registry. Kept in a block of their own so the rest of the metrics can change around them.
 */
export interface ResilienceMetrics {
  /** 0 closed, 1 half-open, 2 open; `endpoint` is `*` for the source's own breaker. */
  readonly circuitState: Gauge<'source' | 'endpoint'>;
  readonly circuitTransitions: Counter<'source' | 'endpoint' | 'state'>;
  /** 1 when the replica takes traffic, 0 while it is ejected, failing its active check or its breaker is open. */
  readonly replicaUp: Gauge<'source' | 'endpoint'>;
  readonly replicaEjections: Counter<'source' | 'endpoint'>;
  /** Retries and hedges made, and those the retry budget refused. */
  readonly retries: Counter<'source' | 'kind'>;
  readonly inFlight: Gauge<'source'>;
  readonly queued: Gauge<'source'>;
  readonly overloaded: Counter<'source'>;
  /**
   * Reports a source's calls in flight and queued when metrics are scraped (rather than on every call); the
   * returned function stops it.
   */
  trackConcurrency(source: string, read: () => { inFlight: number; queued: number }): () => void;
}

/** Circuit states as the gauge encodes them. */
export const CIRCUIT_STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

export function createResilienceMetrics(registry: Registry): ResilienceMetrics {
  const registers = [registry];
  const concurrency = new Map<string, () => { inFlight: number; queued: number }>();
  return {
    trackConcurrency(source, read) {
      concurrency.set(source, read);
      return () => {
        if (concurrency.get(source) === read) concurrency.delete(source);
      };
    },
    circuitState: new Gauge({
      name: 'interchange_circuit_state',
      help: 'Circuit breaker state per source (endpoint="*") and per replica: 0 closed, 1 half-open, 2 open.',
      labelNames: ['source', 'endpoint'],
      registers,
    }),
    circuitTransitions: new Counter({
      name: 'interchange_circuit_transitions_total',
      help: 'Circuit breaker state changes per source (endpoint="*") and replica, by the state entered.',
      labelNames: ['source', 'endpoint', 'state'],
      registers,
    }),
    replicaUp: new Gauge({
      name: 'interchange_replica_up',
      help: 'Whether a replica takes traffic (1) or not (0: ejected, failing its active health check, or its breaker open).',
      labelNames: ['source', 'endpoint'],
      registers,
    }),
    replicaEjections: new Counter({
      name: 'interchange_replica_ejections_total',
      help: 'Replicas ejected by passive health (failed calls in a row).',
      labelNames: ['source', 'endpoint'],
      registers,
    }),
    retries: new Counter({
      name: 'interchange_source_retries_total',
      help: 'Extra backend attempts per source: retry, hedge, or budget_exhausted (a retry the retry budget refused).',
      labelNames: ['source', 'kind'],
      registers,
    }),
    inFlight: new Gauge({
      name: 'interchange_source_in_flight',
      help: 'Backend calls in flight per source.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const [source, read] of concurrency) this.set({ source }, read().inFlight);
      },
    }),
    queued: new Gauge({
      name: 'interchange_source_queued',
      help: 'Backend calls waiting for a slot per source (backpressure).',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const [source, read] of concurrency) this.set({ source }, read().queued);
      },
    }),
    overloaded: new Counter({
      name: 'interchange_source_overloaded_total',
      help: 'Calls refused with SOURCE_OVERLOADED because the source had maxInFlight calls running and maxQueued waiting.',
      labelNames: ['source'],
      registers,
    }),
  };
}
