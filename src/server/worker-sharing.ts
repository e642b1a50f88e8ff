import type { Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import { isChannelMessage, WORKERS_CHANNEL, type WorkerChannel } from './worker-channel.js';
import { shareMetricsWithPrimary } from './worker-metrics.js';

/** What a worker of `serve --workers N` shares with the others through the primary, beside rate limits and abuse detection. */
export interface WorkerSharing extends Disposable {
  /** Every worker's metrics, merged by the primary (`/metrics`). */
  scrape(): Promise<string>;
  /** `worker`: which worker answered, for the admin status and stats (each worker keeps its own history). */
  identity(): Record<string, unknown>;
  /** An admin purge was made here: passed on to the other workers when the cache is in memory (per worker). */
  purged(source: string, operation?: string, args?: Record<string, unknown>): void;
  /** `x-interchange-worker: <slot>` on every response: which worker answered (its share of the traffic, its /readyz). */
  readonly plugin: Plugin;
}

/** The response header naming the worker that answered. */
export const WORKER_HEADER = 'x-interchange-worker';

export interface WorkerSharingOptions {
  registry: Registry;
  /** A Redis cache is one for all workers: a purge made anywhere is made for all. */
  storeKind: 'memory' | 'redis';
  /** Purges this worker's cache (a purge passed on by another worker). */
  purge: (source: string, operation?: string, args?: Record<string, unknown>) => Promise<unknown>;
  logger: Logger;
}

export function shareWithWorkers(channel: WorkerChannel, options: WorkerSharingOptions): WorkerSharing {
  const metrics = shareMetricsWithPrimary(options.registry, channel);
  const stop = channel.onMessage((message) => {
    if (!isChannelMessage(message, WORKERS_CHANNEL, 'purge')) return;
    const source = String(message['source']);
    const operation = typeof message['operation'] === 'string' ? message['operation'] : undefined;
    const args = message['args'] !== null && typeof message['args'] === 'object' ? (message['args'] as Record<string, unknown>) : undefined;
    options.purge(source, operation, args).catch((err: unknown) => options.logger.warn({ err, source }, 'a cache purge passed on by another worker failed'));
  });
  const slot = String(channel.index);
  return {
    plugin: {
      onResponse({ response }) {
        response.headers.set(WORKER_HEADER, slot);
      },
    },
    scrape: () => metrics.scrape(),
    identity: () => ({ worker: { index: channel.index, count: channel.count, pid: process.pid } }),
    purged(source, operation, args) {
      if (options.storeKind === 'memory' && channel.count > 1) channel.send({ channel: WORKERS_CHANNEL, type: 'purge', source, operation: operation ?? null, args: args ?? null });
    },
    [Symbol.dispose]() {
      stop();
      metrics[Symbol.dispose]();
    },
  };
}
