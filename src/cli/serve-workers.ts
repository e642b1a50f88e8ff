import cluster, { type Worker } from 'node:cluster';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { createLogger } from '../observability/logger.js';
import { createPrimaryAbuseDetection } from '../security/shared-abuse-detector.js';
import { isChannelMessage, WORKER_ENV, WORKERS_CHANNEL, type WorkerMessage } from '../server/worker-channel.js';
import { createMetricsCollector } from '../server/worker-metrics.js';
import { checkConfigInThread } from './config-check.js';
import { createRestartPolicy, type RestartPolicyOptions } from './worker-restarts.js';
import { createStopDeadline, type StopDeadline } from './worker-stop-deadline.js';

export interface PrimaryOptions {
  file: string;
  /** Overrides `server.port` (and `PORT`); every worker listens on it, through the primary. */
  port?: number | undefined;
  /** How many workers (2 or more). */
  workers: number;
  /** Replacing workers that exit. */
  restarts?: RestartPolicyOptions;
  /** A worker slot that failed to start this many times in a row while no worker serves makes the primary give up. Default 5. */
  maxStartFailures?: number;
}

/** One worker slot: the process serving it now (if any) and what it said. */
interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  ready: boolean;
  startedAt: number;
  /** What the worker printed when it failed to start (its boot error). */
  failure: string | undefined;
  restart: NodeJS.Timeout | undefined;
}

/**
 * The primary of `interchange serve --workers N` (Node's cluster module, as Hive Gateway's `--fork`): it serves
 * no GraphQL. It checks the config in a thread (so a bad one exits 1 naming the file, key and problem before any
 * worker is forked, and the primary does not keep what checking it loads), then forks N workers that share one
 * listening socket (the cluster module hands connections out round-robin on Linux), and:
 *  - replaces a worker that exits unexpectedly, with back-off (`worker-restarts.ts`); gives up, exit 1, when a
 *    worker cannot start at start-up, or when none serves and one slot failed to start `maxStartFailures` times;
 *  - on SIGTERM or SIGINT passes the signal to every worker (each shuts down gracefully: /readyz 503 at once,
 *    in-flight requests finish; a second SIGTERM ends the grace) and exits 0 once all have exited, 1 when one
 *    died during its stop or was killed past the stop's deadline (`worker-stop-deadline.ts`); SIGHUP is passed
 *    to every worker (a reload);
 *  - holds what the workers share: memory rate-limit counters (rate-limiter-flexible's `RateLimiterClusterMaster`),
 *    abuse detection (`security/shared-abuse-detector.ts`), the collection of every worker's metrics
 *    (`server/worker-metrics.ts`), and passes an admin reload or cache purge made on one worker on to the others.
 * Resolves -1 once every worker serves (the primary keeps running), or 1 after giving up at start-up.
 */
export async function runPrimary(options: PrimaryOptions): Promise<number> {
  const logger = createLogger().child({ role: 'primary', pid: process.pid });
  const count = options.workers;
  const slots: Slot[] = Array.from({ length: count }, (_, i) => ({ index: i + 1, worker: undefined, ready: false, startedAt: 0, failure: undefined, restart: undefined }));
  const slotOf = (worker: Worker) => slots.find((slot) => slot.worker === worker);
  const serving = () => slots.filter((slot) => slot.ready && slot.worker).map((slot) => slot.worker!);
  let startedUp = false;
  let stopping: { signal: NodeJS.Signals; killed: boolean } | undefined;
  let exitCode = 0;
  let deadline: StopDeadline | undefined;
  let settleStart!: (code: number) => void;
  const started = new Promise<number>((resolve) => (settleStart = resolve));

  // Installed before the config check, which takes a while: a signal then would otherwise kill the primary by
  // its default action (SIGTERM: exit 143, nothing said). A stop requested during the check makes the primary
  // exit 0 once the check returns (it only parses the config), without forking; a SIGHUP then has no worker to
  // reload (they will read the files as they are).
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    // Only to workers that serve: one still starting reads the files as they are now, and has no handler yet.
    for (const worker of serving()) worker.process.kill('SIGHUP');
  });
  logger.debug({ file: options.file }, 'checking the config');
  const checked = await checkConfigInThread(options.file);
  if (stopping) return started;
  if (!checked.ok) {
    process.stderr.write(checked.text);
    return 1;
  }
  deadline = createStopDeadline({
    initial: { graceMs: checked.shutdownGraceMs, timeoutMs: checked.shutdownTimeoutMs },
    count,
    onExpire: () => {
      stopping!.killed = true;
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
    },
  });
  const maxStartFailures = options.maxStartFailures ?? 5;
  const policy = createRestartPolicy(options.restarts);
  process.stdout.write(`Interchange: starting ${count} workers\n`);

  // Made before any worker is forked: a worker's limiter announces itself once, at its construction.
  new RateLimiterClusterMaster();
  const send = (worker: Worker, message: WorkerMessage): boolean => {
    try {
      if (!worker.isConnected()) return false;
      worker.send(message);
      return true;
    } catch (err) {
      logger.debug({ err }, 'a message to a worker that is going away was lost');
      return false;
    }
  };
  const metrics = createMetricsCollector<Worker>({
    count,
    send,
    onTimeout: (worker) => logger.warn({ worker: slotOf(worker)?.index, workerPid: worker.process.pid }, 'a worker did not answer a metrics collection in time; left out of it'),
  });
  const abuse = createPrimaryAbuseDetection<Worker>({ send, workers: serving });

  function fork(slot: Slot): void {
    slot.restart = undefined;
    slot.ready = false;
    slot.failure = undefined;
    slot.startedAt = Date.now();
    const worker = cluster.fork({ [WORKER_ENV.index]: String(slot.index), [WORKER_ENV.count]: String(count) });
    // A send to a worker that just disconnected (rate-limiter-flexible's RateLimiterClusterMaster answers without
    // checking) is emitted as 'error' here: unheard, it would kill the primary and so every worker.
    worker.on('error', (err) => logger.debug({ err, worker: slot.index }, 'a message to a worker that is going away was lost'));
    slot.worker = worker;
  }

  cluster.on('message', (worker, message: unknown) => {
    const slot = slotOf(worker);
    if (!slot) return;
    if (abuse.receive(worker, message) || metrics.receive(worker, message)) return;
    if (!isChannelMessage(message, WORKERS_CHANNEL)) return;
    switch (message.type) {
      case 'ready':
        reportShutdown(slot, message);
        slot.ready = true;
        policy.ready(slot.index);
        abuse.welcome(worker);
        if (!startedUp && slots.every((s) => s.ready)) {
          startedUp = true;
          const pids = slots.map((s) => s.worker!.process.pid).join(', ');
          process.stdout.write(`Interchange is serving ${String(message['sources'])} sources at ${String(message['url'])} with ${count} workers (pids ${pids})\n`);
          logger.info({ url: message['url'], workers: count }, 'every worker serves');
          settleStart(-1);
        } else if (startedUp) {
          process.stdout.write(`Interchange: worker ${slot.index} serves again (pid ${worker.process.pid})\n`);
        }
        return;
      case 'stopping':
        reportShutdown(slot, message);
        return;
      case 'failed':
        slot.failure = String(message['text']);
        return;
      case 'reload':
      case 'purge':
        // Made through the admin API of one worker: the others do it too.
        for (const other of serving()) if (other !== worker) send(other, message);
        return;
    }
  });

  function reportShutdown(slot: Slot, message: WorkerMessage): void {
    const { graceMs, timeoutMs } = message;
    if (typeof graceMs !== 'number' || typeof timeoutMs !== 'number') return;
    deadline!.report(slot.index, { graceMs, timeoutMs });
    if (message.type === 'stopping') logger.info({ worker: slot.index, workerPid: slot.worker?.process.pid, graceMs, timeoutMs, killAfterMs: deadline!.killAfterMs }, 'a worker stops');
  }

  cluster.on('disconnect', (worker) => metrics.gone(worker));
  cluster.on('exit', (worker, code, signal) => {
    metrics.gone(worker);
    // Its last messages (why it failed to start) may still be in the pipe: they are all read once it disconnects.
    if (worker.isConnected()) worker.once('disconnect', () => exited(worker, code, signal));
    else exited(worker, code, signal);
  });
  function exited(worker: Worker, code: number | null, signal: string | null): void {
    const slot = slotOf(worker);
    if (!slot) return;
    slot.worker = undefined;
    const wasReady = slot.ready;
    slot.ready = false;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (stopping) {
      // A worker that crashed in its graceful stop did not stop gracefully: the stop failed, and says which.
      // Not counted: the primary's own SIGKILL past the deadline (which exits 1 anyway), and the signal passed on
      // killing a worker still starting, before it had its handlers.
      const killedByPrimary = signal === 'SIGKILL' && stopping.killed;
      const diedStarting = !wasReady && signal === stopping.signal;
      if ((code !== null && code !== 0) || (signal !== null && !killedByPrimary && !diedStarting)) {
        exitCode = 1;
        process.stderr.write(`interchange: worker ${slot.index} (pid ${worker.process.pid}) exited (${how}) while stopping\n`);
      }
      if (slots.every((s) => !s.worker)) finish();
      return;
    }
    if (!startedUp) {
      process.stderr.write(slot.failure ?? `interchange: worker ${slot.index} exited (${how}) before it was serving\n`);
      process.stderr.write(`interchange: worker ${slot.index} of ${count} could not start; stopping\n`);
      stop('SIGTERM', 1);
      return;
    }
    const delayMs = policy.delayAfter(slot.index, { wasReady, uptimeMs: Date.now() - slot.startedAt });
    if (!wasReady && serving().length === 0 && policy.startFailures(slot.index) >= maxStartFailures) {
      process.stderr.write(slot.failure ?? '');
      process.stderr.write(`interchange: worker ${slot.index} failed to start ${policy.startFailures(slot.index)} times in a row and no worker serves; giving up\n`);
      stop('SIGTERM', 1);
      return;
    }
    logger.error({ worker: slot.index, workerPid: worker.process.pid, code, signal, delayMs }, 'a worker exited; starting another');
    process.stderr.write(`interchange: worker ${slot.index} (pid ${worker.process.pid}) exited (${how}); starting another in ${delayMs} ms\n${wasReady ? '' : (slot.failure ?? '')}`);
    slot.restart = setTimeout(() => fork(slot), delayMs);
  }

  for (const slot of slots) fork(slot);
  return started;

  function stop(signal: NodeJS.Signals, code = 0): void {
    if (stopping) {
      // A second SIGTERM ends the workers' grace (requests in flight still finish): passed on.
      for (const slot of slots) slot.worker?.process.kill(signal);
      return;
    }
    stopping = { signal, killed: false };
    exitCode = code;
    for (const slot of slots) clearTimeout(slot.restart);
    const alive = slots.filter((slot) => slot.worker);
    if (alive.length === 0) return finish();
    // Each worker bounds its own shutdown (grace, then shutdownTimeoutMs for requests in flight); one that is stuck
    // past the longest a worker said it takes, and a margin, is killed so the primary does exit.
    deadline!.start(signal);
    logger.info({ signal, workers: alive.length, killAfterMs: deadline!.killAfterMs }, 'stopping every worker');
    for (const slot of alive) slot.worker!.process.kill(signal);
  }
  function finish(): void {
    deadline?.cancel();
    const code = stopping?.killed ? 1 : exitCode;
    logger.info({ code }, 'every worker stopped');
    if (!startedUp) settleStart(code);
    else process.exit(code);
  }
}
