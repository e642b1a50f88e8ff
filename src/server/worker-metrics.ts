import { AggregatorRegistry, Registry } from 'prom-client';
import { isChannelMessage, type WorkerChannel, type WorkerMessage } from './worker-channel.js';

/**
 * `/metrics` with `serve --workers N`: whichever worker a scrape reaches answers for all of them. It asks the
 * primary, which collects the registry of every worker that can answer over IPC and merges them with prom-client's
 * `AggregatorRegistry.aggregate()`.
 *
 * Every series keeps a `worker` label (the worker's slot, 1..N: bounded, and the same for a replacement), counters
 * and histograms too: a replaced worker's counts start again from 0, and summed into one series that series would
 * go backwards, which Prometheus's rate()/increase() read as a reset of the whole machine's count. Kept per worker,
 * only that worker's series resets, which is what rate() handles, and `sum without(worker)` gives the machine's
 * value. (Keeping an exited worker's last values as an offset was the other way: it loses what the worker counted
 * after the last scrape, and needs the primary to hold every series of every worker that ever ran.) Gauges whose
 * sum over the workers is the machine's value (calls in flight and queued) are summed: a gauge may go down.
 *
 * Why not prom-client's `clusterMetrics()`: it asks every forked worker, a worker just forked (replacing one that
 * died) has no listener yet and its request is dropped, so each scrape then waits for its 5 s timeout and fails;
 * and it never forgets a request that timed out. Here the primary asks only the workers that said they answer
 * (`answering`, sent once the listener is installed), forgets a worker that exits in the middle of a collection,
 * and a collection that times out. The answer counts who answered: `interchange_workers` (N) and
 * `interchange_workers_reporting` (how many workers' series this answer holds: fewer while one is starting).
 */
export const METRICS_CHANNEL = 'interchange:metrics';

/** Gauges whose sum over the workers is the machine's value. */
const SUMMED_GAUGES = new Set(['interchange_backend_calls_in_flight', 'interchange_source_in_flight', 'interchange_source_queued']);

export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Adds `worker` to every series but the summed gauges. */
export function labelPerWorker(metrics: MetricsJson, worker: string): MetricsJson {
  return metrics.map((metric) => {
    if (String(metric.type) === 'gauge' && SUMMED_GAUGES.has(metric.name)) return metric;
    // One value per label set once labelled, so summing keeps it as it is (and prom-client's `omit` of the start
    // time, meant for unlabelled series, would drop a worker's).
    return { ...metric, aggregator: 'sum', values: metric.values.map((value) => ({ ...value, labels: { ...value.labels, worker } })) } as MetricsJson[number];
  });
}

/** A worker's answers to the primary's collections. */
export interface MetricsAnswerer {
  /** Answers with `registry` from now on (labelled per worker). */
  use(registry: Registry): void;
}

const answerers = new WeakMap<WorkerChannel, MetricsAnswerer>();

/**
 * Answers the primary's collections on `channel` from the start of a worker, with nothing until its gateway is
 * made (a worker still loading its sources would otherwise leave every scrape waiting), and tells the primary it
 * answers. One per channel: a second call returns the first.
 */
export function answerMetricsCollections(channel: WorkerChannel): MetricsAnswerer {
  const existing = answerers.get(channel);
  if (existing) return existing;
  const worker = String(channel.index);
  // None until the gateway is made: a starting worker answers at once (nobody waits for it) with no series, and
  // is not counted in interchange_workers_reporting.
  let registry: Registry | undefined;
  channel.onMessage((message) => {
    if (!isChannelMessage(message, METRICS_CHANNEL, 'collect')) return;
    const id = message['id'];
    if (!registry) return channel.send({ channel: METRICS_CHANNEL, type: 'collected', id, starting: true });
    registry.getMetricsAsJSON().then(
      (metrics) => channel.send({ channel: METRICS_CHANNEL, type: 'collected', id, metrics: labelPerWorker(metrics, worker) }),
      (error: unknown) => channel.send({ channel: METRICS_CHANNEL, type: 'collected', id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  channel.send({ channel: METRICS_CHANNEL, type: 'answering' });
  const answerer: MetricsAnswerer = { use: (next) => void (registry = next) };
  answerers.set(channel, answerer);
  return answerer;
}

export interface SharedMetrics extends Disposable {
  /** The Prometheus text of every worker, merged by the primary. */
  scrape(): Promise<string>;
}

/**
 * A worker's side: answers the primary's collections with `registry` and asks the primary for the merged text on
 * each scrape. Rejects after `timeoutMs` (default 10 s) without an answer.
 */
export function shareMetricsWithPrimary(registry: Registry, channel: WorkerChannel, options: { timeoutMs?: number } = {}): SharedMetrics {
  answerMetricsCollections(channel).use(registry);
  const timeoutMs = options.timeoutMs ?? 10_000;
  let next = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  const stop = channel.onMessage((message) => {
    if (!isChannelMessage(message, METRICS_CHANNEL, 'metrics')) return;
    const pending = waiting.get(Number(message['id']));
    if (!pending) return;
    waiting.delete(Number(message['id']));
    clearTimeout(pending.timer);
    if (typeof message['text'] === 'string') pending.resolve(message['text']);
    else pending.reject(new Error(String(message['error'] ?? 'no metrics in the answer')));
  });
  return {
    scrape() {
      const id = next++;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`the primary did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
        timer.unref();
        waiting.set(id, { resolve, reject, timer });
        channel.send({ channel: METRICS_CHANNEL, type: 'scrape', id });
      });
    },
    [Symbol.dispose]() {
      stop();
      for (const pending of waiting.values()) {
        clearTimeout(pending.timer);
        pending.reject(new Error('closed'));
      }
      waiting.clear();
    },
  };
}

export interface MetricsCollectorOptions<W> {
  /** N of `--workers N`. */
  count: number;
  /** Sends to a worker; false when it is gone (it is then not waited for). */
  send: (worker: W, message: WorkerMessage) => boolean;
  /** A worker that has not answered a collection after this long is left out of it (ms). Default 3000. */
  timeoutMs?: number;
  /** Told of each worker left out of a collection for not answering in time. */
  onTimeout?: (worker: W) => void;
}

export interface MetricsCollector<W> {
  /** Reads a worker's metrics message (true when it was one). */
  receive(worker: W, message: unknown): boolean;
  /** `worker` exited or disconnected: no longer asked, nor waited for. */
  gone(worker: W): void;
  /** Collections not finished yet. */
  readonly inFlight: number;
}

interface Collection<W> {
  readonly waiting: Set<W>;
  readonly collected: MetricsJson[];
  readonly timer: NodeJS.Timeout;
  readonly done: () => void;
}

/** The primary's side: answers a worker's `scrape` with the metrics of every worker that answers, merged. */
export function createMetricsCollector<W>(options: MetricsCollectorOptions<W>): MetricsCollector<W> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const answering = new Set<W>();
  const collections = new Map<number, Collection<W>>();
  let next = 0;

  function settle(collection: Collection<W>, worker: W): void {
    collection.waiting.delete(worker);
    if (collection.waiting.size === 0) collection.done();
  }

  function collect(scraper: W, scrapeId: unknown): void {
    const id = next++;
    const waiting = new Set<W>();
    const collected: MetricsJson[] = [];
    const done = () => {
      clearTimeout(timer);
      collections.delete(id);
      const counts = [
        { name: 'interchange_workers', help: 'Workers of serve --workers N (N).', type: 'gauge', aggregator: 'sum', values: [{ value: options.count, labels: {} }] },
        {
          name: 'interchange_workers_reporting',
          help: 'Workers whose series this scrape holds: fewer than interchange_workers while one is starting, or did not answer in time.',
          type: 'gauge',
          aggregator: 'sum',
          values: [{ value: collected.length, labels: {} }],
        },
      ];
      Promise.resolve()
        .then(() => AggregatorRegistry.aggregate([...collected, counts]).metrics())
        .then(
          (text) => options.send(scraper, { channel: METRICS_CHANNEL, type: 'metrics', id: scrapeId, text }),
          (error: unknown) => options.send(scraper, { channel: METRICS_CHANNEL, type: 'metrics', id: scrapeId, error: error instanceof Error ? error.message : String(error) }),
        );
    };
    const timer = setTimeout(() => {
      for (const worker of waiting) options.onTimeout?.(worker);
      done();
    }, timeoutMs);
    const collection: Collection<W> = { waiting, collected, timer, done };
    collections.set(id, collection);
    for (const worker of answering) if (options.send(worker, { channel: METRICS_CHANNEL, type: 'collect', id })) waiting.add(worker);
    if (waiting.size === 0) done();
  }

  return {
    receive(worker, message) {
      if (!isChannelMessage(message, METRICS_CHANNEL)) return false;
      switch (message.type) {
        case 'answering':
          answering.add(worker);
          break;
        case 'scrape':
          collect(worker, message['id']);
          break;
        case 'collected': {
          const id = Number(message['id']);
          const collection = collections.get(id);
          if (!collection?.waiting.has(worker)) break;
          if (Array.isArray(message['metrics'])) collection.collected.push(message['metrics'] as MetricsJson);
          settle(collection, worker);
          break;
        }
      }
      return true;
    },
    gone(worker) {
      answering.delete(worker);
      for (const collection of collections.values()) if (collection.waiting.has(worker)) settle(collection, worker);
    },
    get inFlight() {
      return collections.size;
    },
  };
}
