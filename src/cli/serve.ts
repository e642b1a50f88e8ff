import cluster from 'node:cluster';
import { answerMetricsCollections } from '../server/worker-metrics.js';
import { processWorkerChannel, WORKERS_CHANNEL } from '../server/worker-channel.js';
import { failureText } from './failure-text.js';

/**
 * `interchange serve --config FILE [--port N] [--workers N]`; boot errors at start propagate to main, which exits 1.
 * With more than one worker this process is the primary (it serves no GraphQL; `serve-workers.ts`) and each
 * worker, forked with the same command line, runs the gateway.
 */
export async function runServe(options: { config: string; port?: number; workers?: number }): Promise<number> {
  const worker = cluster.isWorker ? processWorkerChannel() : undefined;
  if (worker) {
    // Node's cluster module tells the primary when a worker's server closes. With the primary killed while this
    // worker stops gracefully, that write fails (EPIPE) before the disconnect is read, and is emitted as 'error' on
    // cluster.worker, where nothing listening would crash the worker half-way through its stop. The worker exits on
    // the disconnect anyway (Node's cluster child does), so an error of the lost channel is dropped.
    cluster.worker?.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_IPC_CHANNEL_CLOSED' || !process.connected) return;
      throw error;
    });
    // At once, so a scrape while this worker's gateway is still being made does not wait for it (it answers with
    // no series, and is not counted in interchange_workers_reporting).
    answerMetricsCollections(worker);
    try {
      const { runGateway } = await import('./run-gateway.js');
      await runGateway(options.config, { port: options.port, worker });
    } catch (error) {
      // The primary prints it once (not once per worker) and decides whether to try again or give up.
      await new Promise<void>((resolve) => {
        if (!process.connected) return resolve();
        process.send!({ channel: WORKERS_CHANNEL, type: 'failed', text: failureText(error) }, undefined, {}, () => resolve());
      });
      process.exit(1);
    }
    return -1;
  }
  // The primary loads no gateway (see main.ts): only the config check and what the workers share.
  if ((options.workers ?? 1) > 1) return (await import('./serve-workers.js')).runPrimary({ file: options.config, port: options.port, workers: options.workers! });
  // Every input is watched: a valid edit is applied without a restart, an invalid one is reported and ignored.
  const { runGateway } = await import('./run-gateway.js');
  await runGateway(options.config, { port: options.port });
  return -1;
}
