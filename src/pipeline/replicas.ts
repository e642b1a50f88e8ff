import type { GatewayEvents } from '../observability/events.js';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import type { ResilienceMetrics } from '../observability/resilience-metrics.js';
import { CIRCUIT_STATE_VALUE } from '../observability/resilience-metrics.js';
import type { Replica } from '../sources/endpoints.js';
import type { RouteRule } from '../sources/resilience-config.js';
import { TransportError, type Transport } from '../sources/types.js';
import { circuitSettingsKey, createCircuit, type Circuit, type CircuitSettings, type CircuitState } from './circuit.js';
import { asBudgetTimeout, countsAgainstBackend } from './failures.js';
import {
  conditionOf,
  createReplicaState,
  maxEjected,
  passiveHealthSettingsOf,
  recordFailure,
  recordSuccess,
  type PassiveHealthSettings,
  type ReplicaCondition,
  type ReplicaState,
} from './replica-health.js';
import { pinnedGroup } from './route.js';
import { continueStream, type SourceCall, type StreamTerminal, type Terminal } from './types.js';

export type Balance = 'least-outstanding' | 'round-robin' | 'weighted';

/**
 * The replicas' state of one source (health, counts, breakers), shared by its generations. In the gateway it is
 * retained per replica URL (`StageContext.retain`), so a reload keeps what it knew of the replicas it keeps and
 * drops the state of those it removed.
 */
export interface ReplicaStates {
  /** The state of `url`, made on first use. */
  of(url: string): ReplicaState;
  /** The breaker of `url` for `settings`, made by `create` on first use (or when the settings changed). */
  circuit(url: string, settings: CircuitSettings, create: () => Circuit): Circuit;
}

/**
 * Replica states for a pool outside a gateway (tests, a library user's pool): breakers with new settings replace
 * the old ones at once, since no other generation uses them. Disposing it stops the breakers.
 */
export function createReplicaStates(now: () => number = Date.now): ReplicaStates & Disposable {
  const byUrl = new Map<string, ReplicaState>();
  const circuits = new Map<string, Circuit>();
  return {
    of(url) {
      let state = byUrl.get(url);
      if (!state) byUrl.set(url, (state = createReplicaState(url, now())));
      return state;
    },
    circuit(url, settings, create) {
      let circuit = circuits.get(url);
      if (!circuit || circuitSettingsKey(circuit.settings) !== circuitSettingsKey(settings)) {
        circuit?.[Symbol.dispose]();
        circuits.set(url, (circuit = create()));
      }
      return circuit;
    },
    [Symbol.dispose]() {
      for (const circuit of circuits.values()) circuit[Symbol.dispose]();
      circuits.clear();
      byUrl.clear();
    },
  };
}

export interface ReplicaPoolOptions {
  /** The source's name, for logs, metrics and errors. Default `source`. */
  source?: string;
  /** Replicas in config order (`replicasOf(source)`); a plain string is `{ url, weight: 1, group: 'default' }`. */
  replicas: readonly (Replica | string)[];
  transport: Transport;
  /** How a replica is picked among the eligible ones. Default `least-outstanding`. */
  balance?: Balance;
  /** Traffic weight per group (`groups:`). Default: one pool of every replica. */
  groups?: Readonly<Record<string, number>>;
  /** Rules pinning a request to a group by a header or a verified claim (`route:`). Default none. */
  route?: readonly RouteRule[];
  /** Passive health. Default: `passiveHealthSettingsOf(undefined)` (5 failures in 10 s, 5 s growing ejection, 50 %). */
  health?: PassiveHealthSettings;
  /** Settings of each replica's circuit breaker (pools of two or more); undefined: none. Default none. */
  circuit?: CircuitSettings;
  /** Replica state from the previous generation (retained); default: a fresh one. */
  states?: ReplicaStates;
  /**
   * When this pool's view of its replicas is published (the `interchange_replica_up` and per-replica breaker
   * gauges): the gateway passes its reload's commit, so a pool built for a refused reload reports nothing.
   * Default: at once.
   */
  onCommit?: (apply: () => void) => void;
  metrics?: ResilienceMetrics;
  /** The dashboard's events hook: `replica_health` on ejections, re-admissions, breaker and health-check changes. */
  events?: Pick<GatewayEvents, 'report' | 'replicaHealth'>;
  /** Default: silent. */
  logger?: Logger;
  /** Injected so tests drive ejections with a fake clock. Default Date.now. */
  now?: () => number;
}

/** One replica as the admin status shows it. */
export interface ReplicaStatus {
  readonly url: string;
  readonly group: string;
  readonly weight: number;
  readonly condition: ReplicaCondition;
  readonly outstanding: number;
  /** Calls sent to it since the gateway started, and how many of them failed the backend's way. */
  readonly calls: number;
  readonly failures: number;
  /** Times ejected (the back-off multiplier), and until when the current ejection runs (ISO) or null. */
  readonly ejections: number;
  readonly ejectedUntil: string | null;
  readonly circuit: CircuitState | null;
  readonly activeHealthy: boolean;
}

/** The end of every pipeline: which replica a call goes to, and the transport that makes it. */
export interface ReplicaPool {
  /** A unary call on one replica (the retry stage makes further attempts; `call.tried` steers them elsewhere). */
  readonly call: Terminal;
  /** A stream, failing over to another replica only while it opens: a stream that has begun is not replayed. */
  readonly open: StreamTerminal;
  /**
   * Whether a replica this call may go to, and has not tried, takes traffic now (not ejected, passing its
   * health check, its breaker not open): where a hedge would go. Changes no turn of the balancing.
   */
  hasFreeReplica(call: SourceCall, tried: ReadonlySet<string>): boolean;
  /** Every replica's state now. */
  status(): ReplicaStatus[];
  /** The replicas and their retained state, for the active health checker. */
  readonly replicas: readonly Replica[];
  /** The state of one of its replicas (undefined for a URL it does not have). */
  stateOf(url: string): ReplicaState | undefined;
  /** Records an active health check result of `url` (`healthy` after enough passes, out after enough failures). */
  setActiveHealth(url: string, healthy: boolean): void;
  /**
   * Forgets what active health checks said (the source has none any more): every replica passes, and the
   * counts of checks in a row start again.
   */
  resetActiveHealth(): void;
}

/**
 * Spreads calls over a source's replicas and keeps their health:
 *  - a request pinned by a `route` rule goes to its group; otherwise a group is chosen by `groups` weights
 *    (smooth weighted round-robin, so shares are exact over any window), and when the chosen group has no
 *    replica that takes traffic the others stand in;
 *  - within the group, `balance` picks among replicas that take traffic: not ejected, not failing their active
 *    check, their breaker not open, and not already tried by this call; a replica in probation takes exactly
 *    one trial call at a time;
 *  - when none takes traffic, calls keep spreading over all of them (the cap on ejections keeps most of a pool
 *    in; the source's breaker is what fails fast when the whole backend is down).
 * Every answer updates the replica's passive health and breaker. Only backend failures count
 * (`countsAgainstBackend`); a 4xx is an answer.
 */
export function createReplicaPool(options: ReplicaPoolOptions): ReplicaPool {
  const source = options.source ?? 'source';
  const { transport } = options;
  const replicas: Replica[] = options.replicas.map((r) => (typeof r === 'string' ? { url: r, weight: 1, group: 'default' } : r));
  const now = options.now ?? Date.now;
  const health = options.health ?? passiveHealthSettingsOf(undefined);
  const balance = options.balance ?? 'least-outstanding';
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics;
  const states = options.states ?? createReplicaStates(now);
  const groupWeights = options.groups;
  /** The replicas of groups with a share of the traffic (all of them without `groups`): fixed for the pool. */
  const weighted = groupWeights ? replicas.filter((r) => (groupWeights[r.group] ?? 0) > 0) : replicas;
  const cap = maxEjected(replicas.length, health.maxEjectedPercent);
  // Turns of round-robin and tie-breaking, per group, so one group's traffic does not skew another's rotation.
  const turns = new Map<string, number>();
  const smoothWeights = new Map<string, number>();
  const groupTurns = new Map<string, number>();

  // A pool of one has no other replica to prefer: the source's own breaker says all there is to say.
  const circuitSettings = replicas.length > 1 ? options.circuit : undefined;
  // Resolved once: this generation's replicas keep their state and breakers while it runs, even after a reload
  // dropped them from the retained state.
  const byUrl = new Map<string, { readonly state: ReplicaState; readonly circuit: Circuit | undefined }>();
  for (const replica of replicas) {
    if (byUrl.has(replica.url)) continue;
    const circuit = circuitSettings
      ? states.circuit(replica.url, circuitSettings, () => createCircuit(circuitSettings, { name: `${source} ${replica.url}`, onStateChange: (s) => circuitChanged(replica.url, s) }))
      : undefined;
    byUrl.set(replica.url, { state: states.of(replica.url), circuit });
  }
  const stateOf = (replica: Replica) => byUrl.get(replica.url)!.state;
  const circuitOf = (replica: Replica) => byUrl.get(replica.url)!.circuit;
  const conditionAt = (replica: Replica, t: number) => conditionOf(stateOf(replica), t, circuitOf(replica));
  (options.onCommit ?? ((apply: () => void) => apply()))(function publishReplicas() {
    for (const [url, { state, circuit }] of byUrl) {
      if (circuit) metrics?.circuitState.set({ source, endpoint: url }, CIRCUIT_STATE_VALUE[circuit.state]);
      else metrics?.circuitState.remove({ source, endpoint: url });
      publish(state);
    }
  });

  function publish(state: ReplicaState, detail?: string): void {
    const condition = conditionOf(state, now(), byUrl.get(state.url)?.circuit);
    const up = condition === 'up';
    metrics?.replicaUp.set({ source, endpoint: state.url }, up ? 1 : 0);
    // The instrumented transport reports health call by call; a replica coming back is news only if it was out.
    if (detail === undefined) return;
    if (up && options.events?.replicaHealth(source, state.url)?.healthy !== false) return;
    options.events?.report({ type: 'replica_health', source, replica: state.url, healthy: up, detail });
  }

  function circuitChanged(url: string, state: CircuitState): void {
    (state === 'open' ? logger.warn.bind(logger) : logger.info.bind(logger))({ endpoint: url, circuit: state }, `replica circuit ${state}`);
    metrics?.circuitState.set({ source, endpoint: url }, CIRCUIT_STATE_VALUE[state]);
    metrics?.circuitTransitions.inc({ source, endpoint: url, state });
    const entry = byUrl.get(url);
    if (entry) publish(entry.state, `circuit ${state}`);
  }

  const ejectedNow = () => replicas.filter((r) => conditionAt(r, now()) === 'ejected' && stateOf(r).ejectedUntil > now()).length;

  /** The group a call goes to: a matching route rule's, or one chosen by weight; undefined without `groups`. */
  function groupFor(call: SourceCall): { group: string; pinned: boolean } | undefined {
    const pinned = pinnedGroup(options.route, call);
    if (pinned !== undefined) return { group: pinned, pinned: true };
    if (!groupWeights) return undefined;
    let best: string | undefined;
    let total = 0;
    for (const [group, weight] of Object.entries(groupWeights)) {
      if (weight <= 0) continue;
      total += weight;
      const current = (groupTurns.get(group) ?? 0) + weight;
      groupTurns.set(group, current);
      if (best === undefined || current > groupTurns.get(best)!) best = group;
    }
    if (best === undefined) return undefined;
    groupTurns.set(best, groupTurns.get(best)! - total);
    return { group: best, pinned: false };
  }

  const takesTrafficAt = (replica: Replica, t: number) => {
    const condition = conditionAt(replica, t);
    return condition === 'up' || condition === 'probation';
  };

  /** The replica for this attempt, by the order of preference described on `createReplicaPool`. */
  function pick(call: SourceCall, tried: ReadonlySet<string>): Replica {
    const chosen = groupFor(call);
    const inGroup = chosen ? replicas.filter((r) => r.group === chosen.group) : replicas;
    const primary = inGroup.length > 0 ? inGroup : replicas;
    const secondary = chosen?.pinned ? primary : weighted;
    const t = now();
    const takesTraffic = (r: Replica) => takesTrafficAt(r, t);
    const untried = (r: Replica) => !tried.has(r.url);
    const preferences: Replica[][] = [
      primary.filter((r) => takesTraffic(r) && untried(r)),
      secondary.filter((r) => takesTraffic(r) && untried(r)),
      primary.filter(takesTraffic),
      secondary.filter(takesTraffic),
      primary.filter(untried),
      primary,
    ];
    return choose(preferences.find((candidates) => candidates.length > 0)!, chosen?.group ?? '');
  }

  function choose(candidates: readonly Replica[], group: string): Replica {
    const start = turns.get(group) ?? 0;
    turns.set(group, start + 1);
    if (candidates.length === 1) return candidates[0]!;
    if (balance === 'round-robin') return candidates[start % candidates.length]!;
    if (balance === 'weighted') {
      let total = 0;
      let best: Replica | undefined;
      for (const replica of candidates) {
        total += replica.weight;
        const current = (smoothWeights.get(replica.url) ?? 0) + replica.weight;
        smoothWeights.set(replica.url, current);
        if (!best || current > smoothWeights.get(best.url)!) best = replica;
      }
      smoothWeights.set(best!.url, smoothWeights.get(best!.url)! - total);
      return best!;
    }
    // least-outstanding: fewest calls in flight per unit of weight; ties go round in turn.
    let best: Replica | undefined;
    let bestScore = Infinity;
    for (let i = 0; i < candidates.length; i++) {
      const replica = candidates[(start + i) % candidates.length]!;
      const score = (stateOf(replica).outstanding + 1) / replica.weight;
      if (score < bestScore) {
        best = replica;
        bestScore = score;
      }
    }
    return best!;
  }

  /**
   * Runs one attempt on `replica`, through its breaker, and records what it says about the replica's health.
   * With `byBudget`, the attempt's deadline was the request's budget: its timeout is not the replica's.
   */
  async function attempt<T>(replica: Replica, run: () => Promise<T>, byBudget = false): Promise<T> {
    const state = stateOf(replica);
    const circuit = circuitOf(replica);
    const trial = conditionAt(replica, now()) === 'probation';
    if (trial) state.trialInFlight = true;
    state.outstanding++;
    state.calls++;
    const guarded = byBudget ? () => run().catch((error: unknown) => Promise.reject(asBudgetTimeout(error))) : run;
    try {
      const value = circuit ? await circuit.run(guarded) : await guarded();
      succeeded(state);
      return value;
    } catch (error) {
      // Clients see the source's name only; which replica failed, and how, is for the logs.
      if (error instanceof TransportError) logger.debug({ endpoint: state.url, err: error }, 'backend call failed');
      if (countsAgainstBackend(error)) failed(state);
      else if (error instanceof TransportError && error.code !== 'CIRCUIT_OPEN' && !error.byBudget) succeeded(state); // it answered
      throw error;
    } finally {
      state.outstanding--;
      if (trial) state.trialInFlight = false;
    }
  }

  function succeeded(state: ReplicaState): void {
    if (recordSuccess(state, now(), health) === 'admitted') {
      logger.info({ endpoint: state.url }, 'replica back in after its trial call');
      publish(state, 'back after its trial call');
    }
  }

  function failed(state: ReplicaState): void {
    state.failures++;
    if (recordFailure(state, now(), health, () => ejectedNow() < cap) === 'ejected') {
      logger.warn({ endpoint: state.url, ejections: state.ejections, untilMs: state.ejectedUntil - now() }, 'replica ejected after failed calls');
      metrics?.replicaEjections.inc({ source, endpoint: state.url });
      publish(state, `ejected for ${state.ejectedUntil - now()} ms`);
    }
  }

  const transportCall = (call: SourceCall) => ({
    signal: call.signal,
    headers: call.headers,
    ...(call.http ? { http: call.http } : {}),
    ...(call.deadline !== undefined ? { deadline: call.deadline } : {}),
  });

  /** The replicas `pick` may choose for `call` at all: its pinned group's, or those of weighted groups. */
  function eligibleFor(call: SourceCall): readonly Replica[] {
    const pinned = pinnedGroup(options.route, call);
    const eligible = pinned !== undefined ? replicas.filter((r) => r.group === pinned) : weighted;
    return eligible.length > 0 ? eligible : replicas;
  }

  return {
    replicas,
    stateOf: (url) => byUrl.get(url)?.state,
    hasFreeReplica(call, tried) {
      const t = now();
      return eligibleFor(call).some((r) => !tried.has(r.url) && takesTrafficAt(r, t));
    },
    async call(call) {
      const replica = pick(call, call.tried ?? new Set());
      call.tried?.add(replica.url);
      return attempt(replica, () => transport.call(replica.url, call.operation, call.args, transportCall(call)), call.deadlineByBudget);
    },
    open: async function* openStream(call) {
      const subscribe = transport.subscribe?.bind(transport);
      if (!subscribe) throw new TransportError('bad-response', `${call.source} cannot stream`);
      const tried = new Set<string>();
      let lastError: unknown;
      for (let i = 0; i < replicas.length && !call.signal.aborted; i++) {
        const replica = pick(call, tried);
        tried.add(replica.url);
        const iterator = subscribe(replica.url, call.operation, call.args, transportCall(call))[Symbol.asyncIterator]();
        let first: IteratorResult<unknown>;
        try {
          first = await attempt(replica, () => iterator.next());
        } catch (error) {
          lastError = error;
          if (!countsAgainstBackend(error) && !(error instanceof TransportError && error.code === 'CIRCUIT_OPEN')) throw error;
          continue;
        }
        // From here the stream belongs to the client: `return()` on this generator closes the backend's.
        yield* continueStream(iterator, first);
        return;
      }
      throw lastError ?? new TransportError('unavailable', `${call.source}: no endpoint could be called`);
    },
    status() {
      const t = now();
      return replicas.map((replica) => {
        const state = stateOf(replica);
        return {
          url: replica.url,
          group: replica.group,
          weight: replica.weight,
          condition: conditionAt(replica, t),
          outstanding: state.outstanding,
          calls: state.calls,
          failures: state.failures,
          ejections: state.ejections,
          ejectedUntil: state.ejectedUntil > t ? new Date(state.ejectedUntil).toISOString() : null,
          circuit: circuitOf(replica)?.state ?? null,
          activeHealthy: state.activeHealthy,
        };
      });
    },
    setActiveHealth(url, healthy) {
      const state = byUrl.get(url)?.state;
      if (!state || state.activeHealthy === healthy) return;
      state.activeHealthy = healthy;
      (healthy ? logger.info.bind(logger) : logger.warn.bind(logger))({ endpoint: url }, healthy ? 'replica passes its health check again' : 'replica fails its health check');
      publish(state, healthy ? 'passes its health check' : 'fails its health check');
    },
    resetActiveHealth() {
      for (const [url, { state }] of byUrl) {
        state.activeFailuresInRow = 0;
        state.activePassesInRow = 0;
        if (!state.activeHealthy) this.setActiveHealth(url, true);
      }
    },
  };
}
