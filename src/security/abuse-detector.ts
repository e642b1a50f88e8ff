import { LRUCache } from 'lru-cache';

/** `abuse:` as the detector reads it (see `config/access-schema.ts` for the defaults and units). */
export interface AbuseSettings {
  readonly enabled: boolean;
  readonly intervalSeconds: number;
  readonly baselineHalfLifeSeconds: number;
  readonly warmupIntervals: number;
  readonly burstFactor: number;
  readonly burstMinRequests: number;
  readonly probingFailureRatio: number;
  readonly probingMinFailures: number;
  readonly coolDownSeconds: number;
}

/** A client was throttled: what the log line, the webhook and the admin API say. */
export interface AbuseEvent {
  /** `ip:<address>` or `user:<sub>`. */
  readonly client: string;
  /** `burst`: far above its own baseline; `probing`: mostly failing requests. */
  readonly kind: 'burst' | 'probing';
  /** Epoch ms when it was throttled, and until when. */
  readonly at: number;
  readonly until: number;
  /** Requests and failures in the interval that tripped it, and the baseline (requests per interval) it had. */
  readonly requests: number;
  readonly failures: number;
  readonly baseline: number;
}

export interface AbuseDetector {
  /** Counts one finished request of `client`; returns the event when this request got the client throttled. */
  record(client: string, failed: boolean, settings: AbuseSettings): AbuseEvent | undefined;
  /** The client's current throttle, if it is throttled. */
  throttled(client: string): AbuseEvent | undefined;
  /** Clients throttled now. */
  active(): AbuseEvent[];
}

interface ClientStats {
  intervalStart: number;
  requests: number;
  failures: number;
  /** Exponentially weighted average of requests per interval; undefined until the first interval closes. */
  baseline: number | undefined;
  /** Closed intervals in which the client made requests (idle ones are not counted towards the warm-up). */
  intervals: number;
  throttle: AbuseEvent | undefined;
}

/**
 * Per client, a baseline of its request rate (an exponentially weighted average of requests per interval, with
 * the configured half-life) and the current interval's requests and failures. The rule:
 *   burst    after `warmupIntervals` intervals, the current interval has more than `burstFactor` × the baseline
 *            requests and at least `burstMinRequests`: the client runs far above its own normal;
 *   probing  the current interval has at least `probingMinFailures` failures that are at least
 *            `probingFailureRatio` of its requests (invalid queries, refused tokens, forbidden fields).
 * Either throttles the client for `coolDownSeconds`. A steady client is judged against its own baseline, so high
 * volume alone never trips it. At most 100,000 clients are remembered (least recently seen forgotten first).
 */
export function createAbuseDetector(options: { now?: () => number } = {}): AbuseDetector {
  const now = options.now ?? Date.now;
  const clients = new LRUCache<string, ClientStats>({ max: 100_000 });

  function roll(stats: ClientStats, settings: AbuseSettings, at: number): void {
    const intervalMs = settings.intervalSeconds * 1000;
    if (at < stats.intervalStart + intervalMs) return;
    const alpha = 1 - 2 ** (-settings.intervalSeconds / settings.baselineHalfLifeSeconds);
    // While the client is new its baseline is the plain mean of the intervals seen so far: weighted by the
    // half-life from the first one, a client that starts gently (a health check, then its real traffic) would
    // keep a baseline near that first interval for many minutes and be judged a burst as soon as it is watched.
    const weight = stats.intervals < settings.warmupIntervals ? 1 / (stats.intervals + 1) : alpha;
    stats.baseline = stats.baseline === undefined ? stats.requests : stats.baseline + weight * (stats.requests - stats.baseline);
    // Quiet intervals since then pull the baseline down too (bounded: after 1000 of them it is ~0 anyway).
    const idle = Math.min(Math.floor((at - stats.intervalStart) / intervalMs) - 1, 1000);
    if (idle > 0) stats.baseline *= (1 - alpha) ** idle;
    // Only intervals with traffic teach the baseline: a client seen once and back minutes later is still new.
    stats.intervals += 1;
    stats.intervalStart += Math.floor((at - stats.intervalStart) / intervalMs) * intervalMs;
    stats.requests = 0;
    stats.failures = 0;
  }

  return {
    record(client, failed, settings) {
      const at = now();
      let stats = clients.get(client);
      if (!stats) {
        stats = { intervalStart: at, requests: 0, failures: 0, baseline: undefined, intervals: 0, throttle: undefined };
        clients.set(client, stats);
      }
      roll(stats, settings, at);
      stats.requests++;
      if (failed) stats.failures++;
      if (stats.throttle && stats.throttle.until > at) return undefined;
      const baseline = stats.baseline ?? 0;
      let kind: AbuseEvent['kind'] | undefined;
      if (stats.failures >= settings.probingMinFailures && stats.failures / stats.requests >= settings.probingFailureRatio) kind = 'probing';
      else if (stats.intervals >= settings.warmupIntervals && stats.requests >= settings.burstMinRequests && stats.requests > settings.burstFactor * Math.max(baseline, 1)) kind = 'burst';
      if (!kind) return undefined;
      stats.throttle = { client, kind, at, until: at + settings.coolDownSeconds * 1000, requests: stats.requests, failures: stats.failures, baseline: Math.round(baseline * 100) / 100 };
      return stats.throttle;
    },
    throttled(client) {
      const throttle = clients.get(client)?.throttle;
      return throttle && throttle.until > now() ? throttle : undefined;
    },
    active() {
      const at = now();
      return [...clients.values()].flatMap((stats) => (stats.throttle && stats.throttle.until > at ? [stats.throttle] : []));
    },
  };
}
