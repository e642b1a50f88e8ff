/**
 * The dashboard's memory: what the gateway did over the last hour in one-second buckets, and over the last day
 * in one-minute buckets, kept in typed arrays allocated once per series, so memory is fixed by the number of
 * sources, replicas, error codes and operation names (all bounded) and never grows with traffic or time.
 *
 * Every series of one resolution shares a timeline: slot `i` holds bucket `b` when `stamps[i] === b`; moving
 * into a slot that still holds an older bucket clears that slot in every series. Reading a bucket whose slot
 * moved on reads zeros. No timer runs: time advances when something is recorded or read.
 */

/** Upper bounds of the latency buckets, in ms; one more bucket holds everything slower. */
export const LATENCY_BOUNDS_MS: readonly number[] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

/** Error codes that get a series of their own; later codes share `other`. */
const MAX_CODES = 32;

/** Column layouts: counters first, then the latency buckets. */
const GATEWAY = { requests: 0, errors: 1, stale: 2, calls: 3, hits: 4, staleCalls: 5, latency: 6 } as const;
const SOURCE = { calls: 0, errors: 1, hits: 2, stale: 3, backendCalls: 4, backendErrors: 5, latency: 6 } as const;
const REPLICA = { calls: 0, errors: 1, latency: 2 } as const;
const OPERATION = { count: 0, errors: 1, latency: 2 } as const;
const width = (layout: { latency: number }) => layout.latency + LATENCY_BUCKETS;

function latencyBucket(ms: number): number {
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) if (ms <= LATENCY_BOUNDS_MS[i]!) return i;
  return LATENCY_BOUNDS_MS.length;
}

/** Slots of one resolution, and the series that share them. */
class Timeline {
  readonly stamps: Float64Array;
  private readonly series = new Set<Series>();
  constructor(
    readonly slots: number,
    readonly slotMs: number,
  ) {
    this.stamps = new Float64Array(slots).fill(-1);
  }

  /** A series of `columns` numbers per slot. */
  create(columns: number): Series {
    const series = new Series(this, columns);
    this.series.add(series);
    return series;
  }

  drop(series: Series): void {
    this.series.delete(series);
  }

  /** The slot of bucket `bucket`, cleared first when it still held an older bucket. */
  advance(bucket: number): number {
    const slot = bucket % this.slots;
    if (this.stamps[slot] !== bucket) {
      for (const series of this.series) series.data.fill(0, slot * series.columns, (slot + 1) * series.columns);
      this.stamps[slot] = bucket;
    }
    return slot;
  }

  /** The slot holding `bucket`, or -1 when none does any more (or yet). */
  slotOf(bucket: number): number {
    const slot = bucket % this.slots;
    return this.stamps[slot] === bucket ? slot : -1;
  }

  bytes(): number {
    let total = this.stamps.byteLength;
    for (const series of this.series) total += series.data.byteLength;
    return total;
  }
}

class Series {
  readonly data: Uint32Array;
  constructor(
    readonly timeline: Timeline,
    readonly columns: number,
  ) {
    this.data = new Uint32Array(timeline.slots * columns);
  }
}

/** A series kept at both resolutions. */
interface Pair {
  readonly seconds: Series;
  readonly minutes: Series;
}

/** A quantile (0..1) of a latency histogram, interpolated inside its bucket as Prometheus does; null when empty. */
export function latencyQuantile(counts: ArrayLike<number>, q: number, offset = 0): number | null {
  let total = 0;
  for (let i = 0; i < LATENCY_BUCKETS; i++) total += counts[offset + i]!;
  if (total === 0) return null;
  const rank = q * total;
  let before = 0;
  for (let i = 0; i < LATENCY_BUCKETS; i++) {
    const count = counts[offset + i]!;
    if (count > 0 && before + count >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      // The overflow bucket has no upper bound: its lower bound is the honest answer.
      if (i === LATENCY_BOUNDS_MS.length) return lower;
      const upper = LATENCY_BOUNDS_MS[i]!;
      return lower + ((upper - lower) * (rank - before)) / count;
    }
    before += count;
  }
  return LATENCY_BOUNDS_MS.at(-1)!;
}

/** Aggregates over a recent window (the topology's edges and the sources table). */
export interface RecentStats {
  readonly callsPerSecond: number;
  /** Failed ÷ all, 0 when there were none. */
  readonly errorRate: number;
  /** ms; null when there were no calls. */
  readonly p95Ms: number | null;
}

export interface SourceRecent extends RecentStats {
  /** Calls through the pipeline (cache hits included) per second; `callsPerSecond` counts backend calls. */
  readonly requestsPerSecond: number;
  readonly hitRatio: number;
  readonly staleRatio: number;
  /** Errors the clients got (after stale serving), ÷ pipeline calls. */
  readonly clientErrorRate: number;
}

/** One second per point from `from` (epoch seconds), oldest first; latency percentiles in ms. */
export interface HistoryWindow {
  readonly from: number;
  readonly step: 1;
  readonly gateway: {
    readonly requests: number[];
    readonly errors: number[];
    readonly stale: number[];
    readonly calls: number[];
    readonly hits: number[];
    readonly staleCalls: number[];
    readonly p50: (number | null)[];
    readonly p95: (number | null)[];
    readonly p99: (number | null)[];
  };
  /** Requests whose first error had this code, per second (codes with none in the window are left out). */
  readonly errorsByCode: Record<string, number[]>;
  /** Per source: backend-call latency histogram per second (`LATENCY_BOUNDS_MS` buckets), for the heat map. */
  readonly sources: Record<string, { readonly calls: number[]; readonly errors: number[]; readonly latency: number[][] }>;
}

/** Per minute, oldest first, the last `minutes` minutes (the current one last). */
export interface SourceTrend {
  readonly from: number;
  readonly step: 60;
  readonly p95Ms: (number | null)[];
  readonly errorRate: (number | null)[];
  readonly calls: number[];
}

export interface OperationStats {
  readonly name: string;
  readonly count: number;
  readonly errors: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}

export interface StatsHistory {
  /** Sets the sources and replicas that have series; series of those no longer listed are freed. */
  configure(sources: readonly { readonly name: string; readonly replicas: readonly string[] }[]): void;
  /** A finished GraphQL request: `outcome` is `ok`, `stale` or an error code; `operation` a bounded label. */
  recordRequest(durationMs: number, outcome: string, operation: string): void;
  /** A finished source call through the pipeline, with the outcome the client got (`ok`, `hit`, `stale`, a code). */
  recordSourceCall(source: string, outcome: string): void;
  /** A call that reached a backend replica. */
  recordBackendCall(source: string, replica: string, durationMs: number, ok: boolean): void;
  /** Complete seconds from `fromSecond` (epoch s) up to the last complete one, at most an hour. */
  window(fromSecond: number): HistoryWindow;
  /** The last complete second (epoch s): a window from it + 1 has no point yet. */
  lastCompleteSecond(): number;
  /** The last `seconds` complete seconds, aggregated per source. */
  recentSources(seconds: number): Record<string, SourceRecent>;
  recentReplicas(seconds: number): Record<string, Record<string, RecentStats>>;
  recentGateway(seconds: number): { requestsPerSecond: number; errorRate: number; p95Ms: number | null };
  trend(source: string, minutes: number): SourceTrend | undefined;
  /** Operations over the last hour, slowest (p95) first. */
  operations(): OperationStats[];
  /** Bytes held by the typed arrays of every series (the bound stated in the README). */
  memoryBytes(): number;
  /** Seconds and minutes kept: 3600 and 1440. */
  readonly capacity: { readonly seconds: number; readonly minutes: number };
}

export interface StatsHistoryOptions {
  /** Injected for tests. Default Date.now. */
  now?: () => number;
  /** One-second slots. Default 3600 (an hour). */
  seconds?: number;
  /** One-minute slots. Default 1440 (a day). */
  minutes?: number;
}

export function createStatsHistory(options: StatsHistoryOptions = {}): StatsHistory {
  const now = options.now ?? Date.now;
  const seconds = new Timeline(options.seconds ?? 3600, 1000);
  const minutes = new Timeline(options.minutes ?? 1440, 60_000);
  // Operations: a minute resolution over the last hour is enough for "the slowest operations".
  const operationMinutes = new Timeline(60, 60_000);
  // Replicas: only the topology's last seconds are read, so a minute of one-second slots.
  const replicaSeconds = new Timeline(60, 1000);
  const pair = (columns: number): Pair => ({ seconds: seconds.create(columns), minutes: minutes.create(columns) });
  const dropPair = (p: Pair) => {
    seconds.drop(p.seconds);
    minutes.drop(p.minutes);
  };

  const gateway = pair(width(GATEWAY));
  const codes = new Map<string, Pair>();
  const sources = new Map<string, Pair>();
  const replicas = new Map<string, Map<string, Series>>();
  const operations = new Map<string, Series>();

  /** The current slots of both resolutions: taken once per record, then `add` per column. */
  const at = { second: 0, minute: 0 };
  function advanceTo(t: number): void {
    at.second = seconds.advance(Math.floor(t / 1000));
    at.minute = minutes.advance(Math.floor(t / 60_000));
  }

  /** Adds one at `column` of the current slots (see `advanceTo`) of both resolutions. */
  function add(p: Pair, column: number): void {
    p.seconds.data[at.second * p.seconds.columns + column]!++;
    p.minutes.data[at.minute * p.minutes.columns + column]!++;
  }

  function codeSeries(code: string): Pair {
    let series = codes.get(code);
    if (series) return series;
    if (codes.size >= MAX_CODES) return codeSeries('other');
    series = pair(1);
    codes.set(code, series);
    return series;
  }

  /** Sums of `columns` of `series` over the complete seconds (lastComplete - n, lastComplete]. */
  function sumRecent(series: Series, n: number, columns: number): Float64Array {
    const sums = new Float64Array(columns);
    const last = lastCompleteSecond();
    for (let b = last - n + 1; b <= last; b++) {
      const slot = series.timeline.slotOf(b);
      if (slot < 0) continue;
      for (let c = 0; c < columns; c++) sums[c]! += series.data[slot * series.columns + c]!;
    }
    return sums;
  }

  function lastCompleteSecond(): number {
    return Math.floor(now() / 1000) - 1;
  }

  /** Reads one column of a series for each second from `from` to `to`. */
  function column(series: Series, c: number, from: number, to: number): number[] {
    const out = new Array<number>(to - from + 1);
    for (let b = from; b <= to; b++) {
      const slot = seconds.slotOf(b);
      out[b - from] = slot < 0 ? 0 : series.data[slot * series.columns + c]!;
    }
    return out;
  }

  const recentOf = (sums: Float64Array, n: number, calls: number, errors: number, latency: number): RecentStats => ({
    callsPerSecond: sums[calls]! / n,
    errorRate: sums[calls]! > 0 ? sums[errors]! / sums[calls]! : 0,
    p95Ms: latencyQuantile(sums, 0.95, latency),
  });

  return {
    capacity: { seconds: seconds.slots, minutes: minutes.slots },
    configure(list) {
      const names = new Set(list.map((s) => s.name));
      for (const [name, series] of sources) {
        if (names.has(name)) continue;
        dropPair(series);
        sources.delete(name);
        for (const r of replicas.get(name)?.values() ?? []) replicaSeconds.drop(r);
        replicas.delete(name);
      }
      for (const { name, replicas: endpoints } of list) {
        if (!sources.has(name)) sources.set(name, pair(width(SOURCE)));
        let byEndpoint = replicas.get(name);
        if (!byEndpoint) replicas.set(name, (byEndpoint = new Map()));
        const keep = new Set(endpoints);
        for (const [endpoint, series] of byEndpoint) {
          if (keep.has(endpoint)) continue;
          replicaSeconds.drop(series);
          byEndpoint.delete(endpoint);
        }
        for (const endpoint of endpoints) if (!byEndpoint.has(endpoint)) byEndpoint.set(endpoint, replicaSeconds.create(width(REPLICA)));
      }
    },
    recordRequest(durationMs, outcome, operation) {
      const t = now();
      advanceTo(t);
      add(gateway, GATEWAY.requests);
      add(gateway, GATEWAY.latency + latencyBucket(durationMs));
      const failed = outcome !== 'ok' && outcome !== 'stale';
      if (outcome === 'stale') add(gateway, GATEWAY.stale);
      if (failed) {
        add(gateway, GATEWAY.errors);
        add(codeSeries(outcome), 0);
      }
      let series = operations.get(operation);
      if (!series) operations.set(operation, (series = operationMinutes.create(width(OPERATION))));
      const slot = operationMinutes.advance(Math.floor(t / 60_000));
      const row = slot * series.columns;
      series.data[row + OPERATION.count]!++;
      if (failed) series.data[row + OPERATION.errors]!++;
      series.data[row + OPERATION.latency + latencyBucket(durationMs)]!++;
    },
    recordSourceCall(source, outcome) {
      const series = sources.get(source);
      advanceTo(now());
      add(gateway, GATEWAY.calls);
      if (outcome === 'hit') add(gateway, GATEWAY.hits);
      if (outcome === 'stale') add(gateway, GATEWAY.staleCalls);
      if (!series) return;
      add(series, SOURCE.calls);
      if (outcome === 'hit') add(series, SOURCE.hits);
      else if (outcome === 'stale') add(series, SOURCE.stale);
      else if (outcome !== 'ok') add(series, SOURCE.errors);
    },
    recordBackendCall(source, replica, durationMs, ok) {
      const series = sources.get(source);
      if (!series) return;
      const t = now();
      advanceTo(t);
      const bucket = latencyBucket(durationMs);
      add(series, SOURCE.backendCalls);
      add(series, SOURCE.latency + bucket);
      if (!ok) add(series, SOURCE.backendErrors);
      const r = replicas.get(source)?.get(replica);
      if (!r) return;
      const row = replicaSeconds.advance(Math.floor(t / 1000)) * r.columns;
      r.data[row + REPLICA.calls]!++;
      r.data[row + REPLICA.latency + bucket]!++;
      if (!ok) r.data[row + REPLICA.errors]!++;
    },
    lastCompleteSecond,
    window(fromSecond) {
      const to = lastCompleteSecond();
      const from = Math.max(fromSecond, to - seconds.slots + 1);
      const g = gateway.seconds;
      const p = (q: number) => {
        const out: (number | null)[] = [];
        for (let b = from; b <= to; b++) {
          const slot = seconds.slotOf(b);
          out.push(slot < 0 ? null : latencyQuantile(g.data, q, slot * g.columns + GATEWAY.latency));
        }
        return out;
      };
      const errorsByCode: Record<string, number[]> = {};
      for (const [code, series] of codes) {
        const values = column(series.seconds, 0, from, to);
        if (values.some((v) => v > 0)) errorsByCode[code] = values;
      }
      const perSource: Record<string, { calls: number[]; errors: number[]; latency: number[][] }> = {};
      for (const [name, series] of sources) {
        const s = series.seconds;
        const latency: number[][] = [];
        for (let b = from; b <= to; b++) {
          const slot = seconds.slotOf(b);
          latency.push(slot < 0 ? new Array<number>(LATENCY_BUCKETS).fill(0) : Array.from(s.data.subarray(slot * s.columns + SOURCE.latency, (slot + 1) * s.columns)));
        }
        perSource[name] = { calls: column(s, SOURCE.backendCalls, from, to), errors: column(s, SOURCE.backendErrors, from, to), latency };
      }
      return {
        from,
        step: 1,
        gateway: {
          requests: column(g, GATEWAY.requests, from, to),
          errors: column(g, GATEWAY.errors, from, to),
          stale: column(g, GATEWAY.stale, from, to),
          calls: column(g, GATEWAY.calls, from, to),
          hits: column(g, GATEWAY.hits, from, to),
          staleCalls: column(g, GATEWAY.staleCalls, from, to),
          p50: p(0.5),
          p95: p(0.95),
          p99: p(0.99),
        },
        errorsByCode,
        sources: perSource,
      };
    },
    recentSources(n) {
      const out: Record<string, SourceRecent> = {};
      for (const [name, series] of sources) {
        const sums = sumRecent(series.seconds, n, series.seconds.columns);
        const calls = sums[SOURCE.calls]!;
        out[name] = {
          ...recentOf(sums, n, SOURCE.backendCalls, SOURCE.backendErrors, SOURCE.latency),
          requestsPerSecond: calls / n,
          hitRatio: calls > 0 ? sums[SOURCE.hits]! / calls : 0,
          staleRatio: calls > 0 ? sums[SOURCE.stale]! / calls : 0,
          clientErrorRate: calls > 0 ? sums[SOURCE.errors]! / calls : 0,
        };
      }
      return out;
    },
    recentReplicas(n) {
      const out: Record<string, Record<string, RecentStats>> = {};
      for (const [name, byEndpoint] of replicas) {
        const entry: Record<string, RecentStats> = {};
        for (const [endpoint, series] of byEndpoint) {
          entry[endpoint] = recentOf(sumRecent(series, Math.min(n, replicaSeconds.slots - 1), series.columns), n, REPLICA.calls, REPLICA.errors, REPLICA.latency);
        }
        out[name] = entry;
      }
      return out;
    },
    recentGateway(n) {
      const sums = sumRecent(gateway.seconds, n, gateway.seconds.columns);
      const stats = recentOf(sums, n, GATEWAY.requests, GATEWAY.errors, GATEWAY.latency);
      return { requestsPerSecond: stats.callsPerSecond, errorRate: stats.errorRate, p95Ms: stats.p95Ms };
    },
    trend(source, count) {
      const series = sources.get(source)?.minutes;
      if (!series) return undefined;
      const current = Math.floor(now() / 60_000);
      const from = current - Math.min(count, minutes.slots) + 1;
      const p95Ms: (number | null)[] = [];
      const errorRate: (number | null)[] = [];
      const calls: number[] = [];
      for (let b = from; b <= current; b++) {
        const slot = minutes.slotOf(b);
        const row = slot * series.columns;
        const n = slot < 0 ? 0 : series.data[row + SOURCE.backendCalls]!;
        calls.push(n);
        p95Ms.push(n === 0 ? null : latencyQuantile(series.data, 0.95, row + SOURCE.latency));
        errorRate.push(n === 0 ? null : series.data[row + SOURCE.backendErrors]! / n);
      }
      return { from: from * 60, step: 60, p95Ms, errorRate, calls };
    },
    operations() {
      const current = Math.floor(now() / 60_000);
      const out: OperationStats[] = [];
      const sums = new Float64Array(width(OPERATION));
      for (const [name, series] of operations) {
        sums.fill(0);
        for (let b = current - operationMinutes.slots + 1; b <= current; b++) {
          const slot = operationMinutes.slotOf(b);
          if (slot < 0) continue;
          for (let c = 0; c < series.columns; c++) sums[c]! += series.data[slot * series.columns + c]!;
        }
        if (sums[OPERATION.count] === 0) continue;
        out.push({ name, count: sums[OPERATION.count]!, errors: sums[OPERATION.errors]!, p50Ms: latencyQuantile(sums, 0.5, OPERATION.latency), p95Ms: latencyQuantile(sums, 0.95, OPERATION.latency) });
      }
      return out.sort((a, b) => (b.p95Ms ?? 0) - (a.p95Ms ?? 0));
    },
    memoryBytes: () => seconds.bytes() + minutes.bytes() + operationMinutes.bytes() + replicaSeconds.bytes(),
  };
}
