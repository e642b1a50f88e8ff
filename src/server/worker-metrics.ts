import { AggregatorRegistry, Registry } from 'prom-client';
import { isChannelMessage, type WorkerChannel, type WorkerMessage } from './worker-channel.js';

/**
 * `/metrics` with `serve --workers N`: whichever worker a scrape reaches answers for all of them. It asks the
 * primary, which collects every worker's registry over IPC and merges them with prom-client's
 * `AggregatorRegistry` (counters and histograms summed by label set).
 *
 * Summing is right for counts, not for every gauge: two workers' `interchange_config_version` or circuit states
 * added up mean nothing, and process metrics (memory, CPU, event-loop lag, heap) belong to one process. Those
 * are kept per worker with a `worker` label (the worker's slot, 1..N: bounded, and the same for a replacement);
 * only the gauges whose sum is the machine's true value (calls in flight and queued) are summed.
 */
export const METRICS_CHANNEL = 'interchange:metrics';

/** Gauges whose sum over the workers is the machine's value. */
const SUMMED_GAUGES = new Set(['interchange_backend_calls_in_flight', 'interchange_source_in_flight', 'interchange_source_queued']);
/** Node's process metrics (prom-client's default metrics, with our prefix). */
const PROCESS_METRIC = /^interchange_(process|nodejs)_/;

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Adds `worker` to the series that must stay per worker; summed ones are left as they are. */
export function labelPerWorker(metrics: MetricsJson, worker: string): MetricsJson {
  return metrics.map((metric) => {
    const perWorker = PROCESS_METRIC.test(metric.name) || (String(metric.type) === 'gauge' && !SUMMED_GAUGES.has(metric.name));
    if (!perWorker) return metric;
    // One value per label set once labelled, so summing keeps it as it is (and prom-client's `omit` of the start
    // time, meant for unlabelled series, would drop a worker's).
    return { ...metric, aggregator: 'sum', values: metric.values.map((value) => ({ ...value, labels: { ...value.labels, worker } })) } as MetricsJson[number];
  });
}

/**
 * Answers the primary's collections from the start of a worker, with nothing until its gateway is made: a worker
 * still loading its sources would otherwise leave every scrape waiting for prom-client's timeout.
 */
export function answerMetricsCollections(): void {
  // Constructing one installs prom-client's listener that answers the primary's collection in this worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([new Registry()]);
}

/** A worker's registry as the primary collects it: labelled per worker where sums would lie. */
class WorkerRegistry extends Registry {
  constructor(
    private readonly inner: Registry,
    private readonly worker: string,
  ) {
    super();
  }

  override async getMetricsAsJSON(): Promise<MetricsJson> {
    return labelPerWorker(await this.inner.getMetricsAsJSON(), this.worker);
  }
}

export interface SharedMetrics extends Disposable {
  /** The Prometheus text of every worker, merged by the primary. */
  scrape(): Promise<string>;
}

/**
 * A worker's side: answers the primary's collection with `registry` (labelled per worker) and asks the primary
 * for the merged text on each scrape. Rejects after `timeoutMs` (default 10 s) without an answer.
 */
export function shareMetricsWithPrimary(registry: Registry, channel: WorkerChannel, options: { timeoutMs?: number } = {}): SharedMetrics {
  answerMetricsCollections();
  AggregatorRegistry.setRegistries([new WorkerRegistry(registry, String(channel.index))]);
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
          reject(new Error(`the primary did not answer within ${options.timeoutMs ?? 10_000} ms`));
        }, options.timeoutMs ?? 10_000);
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

/** The primary's side: answers a worker's `scrape` with every worker's metrics, merged. */
export function createMetricsCollector(): { receive(reply: (message: WorkerMessage) => void, message: unknown): boolean } {
  const aggregator = new AggregatorRegistry();
  return {
    receive(reply, message) {
      if (!isChannelMessage(message, METRICS_CHANNEL, 'scrape')) return false;
      const id = message['id'];
      aggregator.clusterMetrics().then(
        (text) => reply({ channel: METRICS_CHANNEL, type: 'metrics', id, text }),
        (error: unknown) => reply({ channel: METRICS_CHANNEL, type: 'metrics', id, error: error instanceof Error ? error.message : String(error) }),
      );
      return true;
    },
  };
}
