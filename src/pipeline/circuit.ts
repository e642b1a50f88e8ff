import CircuitBreaker from 'opossum';
import type { BreakerConfig } from '../sources/resilience-config.js';
import { TransportError } from '../sources/types.js';
import { countsAgainstBackend, saysNothingOfBackend } from './failures.js';

/** A breaker's settings with their defaults applied (see `breakerSchema` for what each means). */
export interface CircuitSettings {
  readonly errorPercent: number;
  readonly consecutiveFailures: number;
  readonly minCalls: number;
  readonly windowMs: number;
  readonly openMs: number;
}

export const DEFAULT_CIRCUIT: CircuitSettings = { errorPercent: 50, consecutiveFailures: 10, minCalls: 20, windowMs: 10_000, openMs: 5_000 };

/** The settings of a source's `breaker:` key, or undefined when it is switched off. */
export function circuitSettingsOf(config: BreakerConfig | undefined): CircuitSettings | undefined {
  if (config?.enabled === false) return undefined;
  return {
    errorPercent: config?.errorPercent ?? DEFAULT_CIRCUIT.errorPercent,
    consecutiveFailures: config?.consecutiveFailures ?? DEFAULT_CIRCUIT.consecutiveFailures,
    minCalls: config?.minCalls ?? DEFAULT_CIRCUIT.minCalls,
    windowMs: config?.windowMs ?? DEFAULT_CIRCUIT.windowMs,
    openMs: config?.openMs ?? DEFAULT_CIRCUIT.openMs,
  };
}

export type CircuitState = 'closed' | 'half-open' | 'open';

/** One circuit breaker: of a source, or of one replica. */
export interface Circuit extends Disposable {
  readonly state: CircuitState;
  /** A call may go through now: closed, or half-open with its one probe not yet taken. */
  readonly admits: boolean;
  /** The settings it was made with, to tell whether a reload changed them. */
  readonly settings: CircuitSettings;
  /** Runs `action` through the breaker; rejects with a CIRCUIT_OPEN TransportError at once while it is open. */
  run<T>(action: () => Promise<T>): Promise<T>;
}

export interface CircuitOptions {
  /** For the CIRCUIT_OPEN message: `logistics` or `logistics 127.0.0.1:5102`. */
  name: string;
  onStateChange?: (state: CircuitState) => void;
  /** The errors that count as failures; the others pass through as answers. Default `countsAgainstBackend`. */
  countsAsFailure?: (error: unknown) => boolean;
}

/**
 * opossum 9 does the counting: a rolling window of 10 buckets over `windowMs`, opening above `errorPercent`
 * failures once `minCalls` calls were made, half-open after `openMs` with exactly one probe call let through
 * (its `pendingClose`), closed again when the probe succeeds. Our own timeout stage bounds the calls, so
 * opossum's timeout is off, and so are its latency percentiles and snapshots (work per call nobody reads).
 * Errors that are not the backend's fault pass through without counting (its `errorFilter`), except that a
 * half-open breaker's probe ending with no answer at all does not close it.
 *
 * Added here, because opossum has no such trip: `consecutiveFailures` failures in a row open it too. Under load,
 * the window still holds the thousands of successes from before a backend froze, which keep the error rate low
 * for up to `windowMs`; a run of failures in a row says at once what the rate says only later.
 */
export function createCircuit(settings: CircuitSettings, options: CircuitOptions): Circuit {
  const countsAsFailure = options.countsAsFailure ?? countsAgainstBackend;
  const breaker: CircuitBreaker = new CircuitBreaker((action: () => Promise<unknown>) => action(), {
    timeout: false,
    errorThresholdPercentage: settings.errorPercent,
    volumeThreshold: settings.minCalls,
    rollingCountTimeout: settings.windowMs,
    rollingCountBuckets: 10,
    resetTimeout: settings.openMs,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
    errorFilter: (error: unknown, action?: unknown): boolean => {
      if (countsAsFailure(error)) return false;
      if (!saysNothingOfBackend(error)) return true; // an answer (a 4xx, a bad body): a success for the breaker
      // No answer at all (the request's budget ran out, the client went away, our own refusal). A half-open
      // breaker's probe that ends so counts as a failed probe: it opens again for openMs and the next probe
      // decides (opossum offers no way to hand the probe slot back). Any other call that ends so is no event.
      if (probes.has(action as object)) return false;
      if (error !== null && typeof error === 'object') silenced.add(error);
      return true;
    },
  });
  /** The calls fired as a half-open breaker's one probe (opossum passes the fired action to errorFilter). */
  const probes = new WeakSet<object>();
  /**
   * Errors that say nothing of the backend, seen by errorFilter. opossum turns a filtered error into a 'success'
   * event, which counts in its window and closes a half-open breaker; it has no way to ignore a call, so those
   * events are dropped here (written by hand for that reason).
   */
  const silenced = new WeakSet<object>();
  const emit = breaker.emit.bind(breaker);
  breaker.emit = ((event: string | symbol, ...args: unknown[]) =>
    event === 'success' && args[0] !== null && typeof args[0] === 'object' && silenced.has(args[0]) ? false : emit(event, ...args)) as typeof breaker.emit;
  let failuresInRow = 0;
  breaker.on('success', () => void (failuresInRow = 0));
  breaker.on('failure', () => {
    failuresInRow++;
    if (settings.consecutiveFailures > 0 && failuresInRow >= settings.consecutiveFailures && breaker.closed) breaker.open();
  });
  breaker.on('open', () => void (failuresInRow = 0));
  const stateOf = (): CircuitState => (breaker.opened ? 'open' : breaker.halfOpen ? 'half-open' : 'closed');
  const changed = () => options.onStateChange?.(stateOf());
  breaker.on('open', changed);
  breaker.on('halfOpen', changed);
  breaker.on('close', changed);
  return {
    settings,
    get state() {
      return stateOf();
    },
    get admits() {
      return breaker.closed || breaker.pendingClose;
    },
    async run<T>(action: () => Promise<T>): Promise<T> {
      // Half-open with its slot free: opossum lets exactly this call through as the probe (it checks synchronously).
      if (breaker.halfOpen && breaker.pendingClose) probes.add(action);
      try {
        return (await breaker.fire(action)) as T;
      } catch (error) {
        if ((error as { code?: unknown } | null)?.code === 'EOPENBREAKER') {
          throw new TransportError('unavailable', `${options.name}: circuit open after repeated failures`, {}, { code: 'CIRCUIT_OPEN' });
        }
        throw error;
      }
    },
    [Symbol.dispose]() {
      breaker.shutdown();
    },
  };
}

/** The same text for the same settings: a breaker retained under it (and so its state) is kept across a reload. */
export function circuitSettingsKey(settings: CircuitSettings): string {
  return `${settings.errorPercent}/${settings.consecutiveFailures}/${settings.minCalls}/${settings.windowMs}/${settings.openMs}`;
}
