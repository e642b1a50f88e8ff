import { createAbuseDetector, type AbuseDetector, type AbuseEvent, type AbuseSettings } from './abuse-detector.js';

/**
 * Abuse detection with `serve --workers N`: one view per client for the whole machine. A client's connections
 * are spread over the workers (round-robin per connection), so a detector per worker would see a share of its
 * requests, its bursts diluted and its throttle honoured by one worker only. Instead each worker counts its
 * requests per client and sends the counts to the primary every `flushMs`; the primary runs the one detector
 * (`createAbuseDetector`, the same rule) over them and tells every worker of each client it throttles. A worker
 * checks throttles in memory, so no request waits on the primary.
 *
 * Why not the primary per request (exact, but an IPC round trip on every request, abusive or not) or Redis (the
 * detector keeps a baseline per client, a read-modify-write per request; and without Redis workers must still
 * agree): counts batched per interval cost one message per worker per `flushMs` and lag detection by at most
 * that, against intervals of seconds.
 */
export const ABUSE_CHANNEL = 'interchange:abuse';

export type AbuseMessage =
  /** Worker → primary: requests and failures per client since the last flush, under the worker's settings. */
  | { readonly channel: typeof ABUSE_CHANNEL; readonly type: 'counts'; readonly settings: AbuseSettings; readonly counts: readonly (readonly [client: string, requests: number, failures: number])[] }
  /**
   * Primary → worker: clients throttled now. `origin` is true for the worker whose counts tripped them: it alone
   * counts, logs and posts them to the webhook, so each shows once however many workers there are.
   */
  | { readonly channel: typeof ABUSE_CHANNEL; readonly type: 'throttled'; readonly events: readonly AbuseEvent[]; readonly origin: boolean };

export interface WorkerAbuseDetectorOptions {
  /** Sends a message to the primary. */
  send: (message: AbuseMessage) => void;
  /** A client was throttled after this worker's counts (the `origin` of the primary's message). */
  onThrottled: (event: AbuseEvent) => void;
  /** Milliseconds between two flushes of the counts (only while there are counts). Default 100. */
  flushMs?: number;
  /** The clock throttles expire by. Default Date.now. */
  now?: () => number;
}

/** A worker's side: the detector the access layer uses, fed by the primary. */
export interface WorkerAbuseDetector extends AbuseDetector, Disposable {
  /** Takes a message from the primary; true when it was abuse detection's. */
  receive(message: unknown): boolean;
  /** Sends the counts now. */
  flush(): void;
}

export function createWorkerAbuseDetector(options: WorkerAbuseDetectorOptions): WorkerAbuseDetector {
  const now = options.now ?? Date.now;
  const flushMs = options.flushMs ?? 100;
  const pending = new Map<string, { requests: number; failures: number }>();
  let settings: AbuseSettings | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** Throttles the primary announced, by client; expired ones are dropped when met. */
  const throttles = new Map<string, AbuseEvent>();

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0 || !settings) return;
    const counts = [...pending].map(([client, c]) => [client, c.requests, c.failures] as const);
    pending.clear();
    options.send({ channel: ABUSE_CHANNEL, type: 'counts', settings, counts });
  }

  function current(client: string): AbuseEvent | undefined {
    const throttle = throttles.get(client);
    if (throttle && throttle.until <= now()) {
      throttles.delete(client);
      return undefined;
    }
    return throttle;
  }

  return {
    record(client, failed, latest) {
      let counts = pending.get(client);
      if (!counts) pending.set(client, (counts = { requests: 0, failures: 0 }));
      counts.requests++;
      if (failed) counts.failures++;
      settings = latest;
      if (!timer) {
        timer = setTimeout(flush, flushMs);
        timer.unref();
      }
      // The verdict comes from the primary, with every worker's requests counted.
      return undefined;
    },
    throttled: current,
    active() {
      return [...throttles.keys()].flatMap((client) => current(client) ?? []);
    },
    receive(message) {
      if (!isAbuseMessage(message) || message.type !== 'throttled') return false;
      for (const event of message.events) {
        throttles.set(event.client, event);
        if (message.origin) options.onThrottled(event);
      }
      return true;
    },
    flush,
    [Symbol.dispose]() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

export interface PrimaryAbuseDetectionOptions<W> {
  /** Sends a message to one worker. */
  send: (to: W, message: AbuseMessage) => void;
  /** The workers serving now. */
  workers: () => Iterable<W>;
  /** The detector's clock. Default Date.now. */
  now?: () => number;
}

/** The primary's side: the one detector, fed by every worker's counts. */
export interface PrimaryAbuseDetection<W> {
  /** Takes a message from worker `from`; true when it was abuse detection's. */
  receive(from: W, message: unknown): boolean;
  /** Tells a worker that just started of the clients throttled now. */
  welcome(worker: W): void;
  readonly detector: AbuseDetector;
}

export function createPrimaryAbuseDetection<W>(options: PrimaryAbuseDetectionOptions<W>): PrimaryAbuseDetection<W> {
  const detector = createAbuseDetector(options.now ? { now: options.now } : {});
  return {
    detector,
    receive(from, message) {
      if (!isAbuseMessage(message) || message.type !== 'counts') return false;
      const events: AbuseEvent[] = [];
      for (const [client, requests, failures] of message.counts) {
        // Counted as if each request arrived now, the failures last: a batch's failure ratio is judged with all
        // of its requests in, as the single-process detector would have by the end of the batch.
        for (let i = failures; i < requests; i++) pushEvent(events, detector.record(client, false, message.settings));
        for (let i = 0; i < failures; i++) pushEvent(events, detector.record(client, true, message.settings));
      }
      if (events.length > 0) for (const worker of options.workers()) options.send(worker, { channel: ABUSE_CHANNEL, type: 'throttled', events, origin: worker === from });
      return true;
    },
    welcome(worker) {
      const events = detector.active();
      if (events.length > 0) options.send(worker, { channel: ABUSE_CHANNEL, type: 'throttled', events, origin: false });
    },
  };
}

function pushEvent(events: AbuseEvent[], event: AbuseEvent | undefined): void {
  if (event) events.push(event);
}

function isAbuseMessage(message: unknown): message is AbuseMessage {
  if (message === null || typeof message !== 'object') return false;
  const m = message as { channel?: unknown; type?: unknown; counts?: unknown; events?: unknown; settings?: unknown };
  if (m.channel !== ABUSE_CHANNEL) return false;
  if (m.type === 'counts') return Array.isArray(m.counts) && m.settings !== null && typeof m.settings === 'object';
  return m.type === 'throttled' && Array.isArray(m.events);
}
