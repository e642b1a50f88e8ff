import type { GatewayMetrics } from './metrics.js';

/**
 * What the gateway's features report about themselves, for the dashboard's events table and state, and for
 * `interchange_events_total`. This is the one place a feature reports to: the resilience stages (breaker,
 * replica health, retries), the security plugins (rate limits, abuse detection), reloads and stale serving.
 * Labels and details must stay bounded and anonymous: a source or replica name, a reason, never a user id, a
 * client IP or a raw query.
 */
export type GatewayEvent =
  /** A configuration reload: `ok` false when the new one was refused and the old one kept serving. */
  | { type: 'reload'; ok: boolean; version?: number; detail?: string }
  /** A source began answering from stale cache entries, or answered live again. */
  | { type: 'stale_started' | 'stale_ended'; source: string }
  /** A circuit breaker changed state. */
  | { type: 'breaker'; source: string; state: BreakerState; detail?: string }
  /** A replica became (un)healthy: passive (its calls failed or succeeded) or active (a health check). */
  | { type: 'replica_health'; source: string; replica: string; healthy: boolean; detail?: string }
  /** A call is tried again (`attempt` 2 is the first retry). */
  | { type: 'retry'; source: string; operation: string; attempt: number }
  /** A request was refused by a rate limit; `detail` names the limit, never the client. */
  | { type: 'rate_limited'; detail?: string }
  /** Abuse detection refused or flagged a request; `detail` says which rule. */
  | { type: 'abuse'; detail: string };

export type BreakerState = 'closed' | 'open' | 'half_open';

export type GatewayEventType = GatewayEvent['type'];

/** An event as the dashboard lists it; identical events within a second are one entry with a `count`. */
export interface RecordedEvent {
  /** Stable identity of the entry (its first `seq`). */
  readonly id: number;
  /** Increases on every new entry and every count added to one; `since(seq)` returns the entries after it. */
  readonly seq: number;
  /** Epoch ms of the first occurrence. */
  readonly at: number;
  readonly type: GatewayEventType;
  readonly source?: string;
  readonly summary: string;
  count: number;
}

export interface GatewayEvents {
  /** Reports an event; never throws, costs a few property writes. */
  report(event: GatewayEvent): void;
  /** The latest entries, oldest first (at most `maxEvents`). */
  recent(): readonly RecordedEvent[];
  /** Entries with `seq` above `seq` (those changed by coalescing count again), oldest first. */
  since(seq: number): readonly RecordedEvent[];
  /** The last breaker state reported for a source; undefined when no breaker ever reported. */
  breakerState(source: string): BreakerState | undefined;
  /** The last health reported for a replica; undefined when nothing was reported. */
  replicaHealth(source: string, replica: string): { healthy: boolean; detail?: string } | undefined;
  /** Whether a source is serving stale answers now (between `stale_started` and `stale_ended`). */
  servingStale(source: string): boolean;
  /** Forgets the state of sources no longer configured. */
  keepOnly(sources: Iterable<string>): void;
}

export interface GatewayEventsOptions {
  metrics?: GatewayMetrics;
  /** Entries kept for the dashboard. Default 200. */
  maxEvents?: number;
  /** Injected for tests. Default Date.now. */
  now?: () => number;
}

function summarise(event: GatewayEvent): string {
  switch (event.type) {
    case 'reload':
      return event.ok ? `configuration reloaded${event.version !== undefined ? ` (version ${event.version})` : ''}` : `reload refused: ${event.detail ?? 'invalid configuration'}`;
    case 'stale_started':
      return `${event.source} is serving stale answers`;
    case 'stale_ended':
      return `${event.source} answers live again`;
    case 'breaker':
      return `${event.source} breaker ${event.state.replace('_', '-')}${event.detail ? `: ${event.detail}` : ''}`;
    case 'replica_health':
      return `${event.source} replica ${event.replica} ${event.healthy ? 'healthy' : 'unhealthy'}${event.detail ? `: ${event.detail}` : ''}`;
    case 'retry':
      return `${event.source} ${event.operation} retried (attempt ${event.attempt})`;
    case 'rate_limited':
      return `request rate-limited${event.detail ? `: ${event.detail}` : ''}`;
    case 'abuse':
      return `abuse detected: ${event.detail}`;
  }
}

/** Entries of the same type, source and summary within this many ms are counted in one entry. */
const COALESCE_MS = 1_000;

export function createGatewayEvents(options: GatewayEventsOptions = {}): GatewayEvents {
  const maxEvents = options.maxEvents ?? 200;
  const now = options.now ?? Date.now;
  const entries: RecordedEvent[] = [];
  const breakers = new Map<string, BreakerState>();
  const replicas = new Map<string, { healthy: boolean; detail?: string }>();
  const stale = new Set<string>();
  let seq = 0;
  const replicaKey = (source: string, replica: string) => `${source}\u0000${replica}`;

  return {
    report(event) {
      const source = 'source' in event ? event.source : undefined;
      options.metrics?.gatewayEvents.inc({ type: event.type, source: source ?? '' });
      if (event.type === 'breaker') breakers.set(event.source, event.state);
      if (event.type === 'replica_health') replicas.set(replicaKey(event.source, event.replica), { healthy: event.healthy, ...(event.detail ? { detail: event.detail } : {}) });
      if (event.type === 'stale_started') stale.add(event.source);
      if (event.type === 'stale_ended') stale.delete(event.source);
      const summary = summarise(event);
      const at = now();
      const last = entries.at(-1);
      if (last && last.type === event.type && last.source === source && last.summary === summary && at - last.at < COALESCE_MS) {
        // Moved to the end of the sequence so a stream sends the new count.
        last.count++;
        (last as { seq: number }).seq = ++seq;
        return;
      }
      entries.push({ id: ++seq, seq, at, type: event.type, ...(source !== undefined ? { source } : {}), summary, count: 1 });
      if (entries.length > maxEvents) entries.shift();
    },
    recent: () => entries,
    since: (after) => entries.filter((e) => e.seq > after),
    breakerState: (source) => breakers.get(source),
    replicaHealth: (source, replica) => replicas.get(replicaKey(source, replica)),
    servingStale: (source) => stale.has(source),
    keepOnly(sources) {
      const keep = new Set(sources);
      for (const source of breakers.keys()) if (!keep.has(source)) breakers.delete(source);
      for (const key of replicas.keys()) if (!keep.has(key.split('\u0000')[0]!)) replicas.delete(key);
      for (const source of stale) if (!keep.has(source)) stale.delete(source);
    },
  };
}
