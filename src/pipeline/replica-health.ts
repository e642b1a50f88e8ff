import type { HealthConfig } from '../sources/resilience-config.js';
import type { Circuit } from './circuit.js';

/** Passive health settings with their defaults applied (see `healthSchema`). */
export interface PassiveHealthSettings {
  readonly failures: number;
  readonly windowMs: number;
  readonly ejectionMs: number;
  readonly maxEjectionMs: number;
  readonly maxEjectedPercent: number;
}

export function passiveHealthSettingsOf(config: HealthConfig | undefined): PassiveHealthSettings {
  return {
    failures: config?.failures ?? 5,
    windowMs: config?.windowMs ?? 10_000,
    ejectionMs: config?.ejectionMs ?? 5_000,
    maxEjectionMs: config?.maxEjectionMs ?? 300_000,
    maxEjectedPercent: config?.maxEjectedPercent ?? 50,
  };
}

/** Where a replica stands, as the pool and the admin status see it. */
export type ReplicaCondition = 'up' | 'ejected' | 'probation' | 'unhealthy' | 'circuit-open';

/**
 * What the gateway knows about one replica. Kept through `StageContext.retain` per source, keyed by URL, so a
 * reload neither forgets an ejection nor the active checks' counts; mutated only through the functions below.
 * Its breaker is retained beside it (keyed by URL and settings).
 */
export interface ReplicaState {
  readonly url: string;
  /** Calls in flight to it now (all generations). */
  outstanding: number;
  /** Calls sent to it so far, and those that failed the backend's way (admin status, the fault benchmark). */
  calls: number;
  failures: number;
  /** Failed calls in a row, and when the first of them failed. */
  failuresInRow: number;
  firstFailureAt: number;
  /** Times it was ejected since it was last healthy for `maxEjectionMs`: the back-off multiplier. */
  ejections: number;
  /** Epoch ms its ejection ends; 0 when not ejected. */
  ejectedUntil: number;
  /** Ejection over: the next call is a trial that decides whether it is back. */
  probation: boolean;
  /** The trial call is in flight: no other call goes to it meanwhile. */
  trialInFlight: boolean;
  /** Epoch ms it was last admitted back (or first seen), to forget old ejections. */
  healthySince: number;
  /** False while its active health check fails. */
  activeHealthy: boolean;
  activeFailuresInRow: number;
  activePassesInRow: number;
}

export function createReplicaState(url: string, now: number): ReplicaState {
  return {
    url,
    outstanding: 0,
    calls: 0,
    failures: 0,
    failuresInRow: 0,
    firstFailureAt: 0,
    ejections: 0,
    ejectedUntil: 0,
    probation: false,
    trialInFlight: false,
    healthySince: now,
    activeHealthy: true,
    activeFailuresInRow: 0,
    activePassesInRow: 0,
  };
}

/**
 * The replica's condition at `now`, with its breaker when it has one; an ejection that has run out turns into
 * probation here. A replica in probation whose trial call is in flight counts as ejected for everyone else.
 */
export function conditionOf(state: ReplicaState, now: number, circuit?: Circuit): ReplicaCondition {
  if (state.ejectedUntil !== 0) {
    if (state.ejectedUntil > now) return 'ejected';
    state.ejectedUntil = 0;
    state.probation = true;
  }
  if (!state.activeHealthy) return 'unhealthy';
  if (circuit && !circuit.admits) return 'circuit-open';
  if (state.probation) return state.trialInFlight ? 'ejected' : 'probation';
  return 'up';
}

/** A call succeeded (or the backend answered, if with a 4xx): the streak ends; a trial brings the replica back. */
export function recordSuccess(state: ReplicaState, now: number, settings: PassiveHealthSettings): 'admitted' | undefined {
  state.failuresInRow = 0;
  if (state.ejections > 0 && !state.probation && now - state.healthySince >= settings.maxEjectionMs) state.ejections = 0;
  if (!state.probation) return undefined;
  state.probation = false;
  state.healthySince = now;
  return 'admitted';
}

/**
 * A call failed the backend's way. Returns `ejected` when this failure ejected the replica: `failures` in a row
 * within `windowMs`, or any failure of a trial call. `mayEject` says whether the pool's cap allows one more.
 */
export function recordFailure(state: ReplicaState, now: number, settings: PassiveHealthSettings, mayEject: () => boolean): 'ejected' | undefined {
  if (state.probation) {
    state.probation = false;
    return eject(state, now, settings);
  }
  if (state.failuresInRow === 0 || now - state.firstFailureAt > settings.windowMs) {
    state.failuresInRow = 1;
    state.firstFailureAt = now;
  } else {
    state.failuresInRow++;
  }
  if (state.failuresInRow < settings.failures || state.ejectedUntil > now || !mayEject()) return undefined;
  return eject(state, now, settings);
}

function eject(state: ReplicaState, now: number, settings: PassiveHealthSettings): 'ejected' {
  state.ejections++;
  state.ejectedUntil = now + Math.min(settings.ejectionMs * state.ejections, settings.maxEjectionMs);
  state.failuresInRow = 0;
  return 'ejected';
}

/**
 * How many replicas of a pool of `size` may be ejected at once: `maxEjectedPercent` of it, but at least one in
 * a pool of two or more (as Envoy's outlier detection), and none in a pool of one (ejecting the only replica
 * would change nothing: the source's breaker is what fails fast then).
 */
export function maxEjected(size: number, percent: number): number {
  if (size < 2 || percent === 0) return 0;
  return Math.max(1, Math.floor((size * percent) / 100));
}
