import type { LiveOutcome } from '../admin/live-routes.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { listen } from '../server/listen.js';
import { createLiveGateway } from '../server/live-config.js';
import { WORKERS_CHANNEL, type WorkerChannel } from '../server/worker-channel.js';

export interface RunGatewayOptions {
  /** Overrides `server.port` (and `PORT`). */
  port?: number | undefined;
  logger?: Logger;
  /** Runs after the gateway closed (the demo stops its backends). */
  onClose?: () => Promise<void>;
  graphiqlDefaultQuery?: string;
  /** Variables for `${VAR}`. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * This process is a worker of `serve --workers N`: its log lines name it (`worker`, `pid`), it tells the primary
   * when it serves instead of printing the URL (the primary prints it once), and it stops on the signals the
   * primary passes on. Default: a process of its own.
   */
  worker?: WorkerChannel;
}

/**
 * Serves the config `file` under live operation (every input watched, SIGHUP reloads, the admin API, the cluster)
 * until SIGTERM or SIGINT, then shuts down gracefully: `/readyz` turns 503 at once, requests are still accepted for
 * `server.shutdownGraceMs` (so load balancers notice), then the listener closes, subscriptions end cleanly,
 * in-flight requests get `server.shutdownTimeoutMs` to finish, pools close, and the process exits 0.
 */
export async function runGateway(file: string, options: RunGatewayOptions = {}): Promise<void> {
  const { worker } = options;
  const baseLogger = options.logger ?? createLogger();
  const logger = worker ? baseLogger.child({ worker: worker.index, pid: process.pid }) : baseLogger;
  const who = worker ? `worker ${worker.index}: ` : '';
  const live = await createLiveGateway({
    file,
    logger,
    ...(options.env ? { env: options.env } : {}),
    ...(options.graphiqlDefaultQuery !== undefined ? { graphiqlDefaultQuery: options.graphiqlDefaultQuery } : {}),
    onOutcome: (outcome) => printOutcome(file, outcome, who),
    ...(worker ? { worker } : {}),
  });
  const { gateway } = live;
  const config = gateway.startedWith;
  const envPort = process.env['PORT'] ? Number(process.env['PORT']) : undefined;
  const port = options.port ?? (Number.isInteger(envPort) ? envPort! : config.server.port);
  const server = await listen(gateway, { port, host: config.server.host, drainMs: config.server.shutdownTimeoutMs });
  live.listening(server.origin);
  const current = gateway.current;
  logger.info({ url: server.url, sources: [...current.sources.keys()], missing: current.missing, version: live.version }, 'gateway ready');
  // The listener drains requests in flight for the timeout it was made with (a reload does not change it); the
  // grace is read when the stop begins. The primary bounds the stop by what each worker says (its `ready`, its
  // `stopping`), not by the config it read at start.
  const drainMs = config.server.shutdownTimeoutMs;
  const onHangup = () => void live.reload('signal').then((outcome) => printOutcome(file, outcome, who));
  process.on('SIGHUP', onHangup);

  let stopping = false;
  let endGrace: (() => void) | undefined;
  async function stop(signal: string) {
    if (stopping) {
      // A second SIGTERM (a worker): the load balancers had time enough; requests in flight still get their timeout.
      if (signal === 'SIGTERM' && endGrace) {
        logger.info({ signal }, 'grace ended by a second signal');
        endGrace();
      }
      return;
    }
    stopping = true;
    // SIGINT (Ctrl-C) is someone at a terminal: no load balancer to tell, no grace.
    const graceMs = signal === 'SIGTERM' ? gateway.current.config.server.shutdownGraceMs : 0;
    logger.info({ signal, graceMs }, 'shutting down');
    worker?.send({ channel: WORKERS_CHANNEL, type: 'stopping', graceMs, timeoutMs: drainMs });
    gateway.readiness.beginShutdown();
    process.off('SIGHUP', onHangup);
    const grace = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      endGrace = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    await live.stop();
    await grace;
    endGrace = undefined;
    gateway.closeStreams();
    await server.close();
    await live[Symbol.asyncDispose]();
    await options.onClose?.();
    logger.info('stopped');
    process.exit(0);
  }
  // A worker gets Ctrl-C twice (from the terminal's process group and passed on by the primary): the second
  // must not kill it half-way through its graceful stop, as Node's default action would. A second SIGTERM to a
  // worker (passed on by the primary, which got a second one) ends the grace.
  const onSignal = worker ? process.on.bind(process) : process.once.bind(process);
  onSignal('SIGINT', () => void stop('SIGINT'));
  onSignal('SIGTERM', () => void stop('SIGTERM'));

  // Said once the signal handlers are in place: the primary may pass a SIGTERM on as soon as it reads `ready`, and
  // one arriving before them would kill this worker by Node's default action, half-way through nothing graceful.
  if (worker) worker.send({ channel: WORKERS_CHANNEL, type: 'ready', url: server.url, sources: current.sources.size, pid: process.pid, graceMs: gateway.current.config.server.shutdownGraceMs, timeoutMs: drainMs });
  else process.stdout.write(`Interchange is serving ${current.sources.size} sources at ${server.url}\n`);
  for (const missing of current.missing) process.stdout.write(`Interchange: ${who}source ${missing.name} is left out until its schema loads (${missing.reason})\n`);
}

/** What the operator sees of a reload on the terminal, beside the log line. */
function printOutcome(file: string, outcome: LiveOutcome, who = ''): void {
  if (outcome.status === 'applied') {
    process.stdout.write(`Interchange ${who}reloaded ${file} (version ${outcome.version}${outcome.trigger === 'retry' ? ', a source came back' : ''})\n`);
    if (outcome.needRestart?.length) process.stdout.write(`Interchange: ${who}${outcome.needRestart.join(', ')} only change on restart\n`);
  } else if (outcome.status !== 'unchanged') {
    const problems = (outcome.problems ?? []).map((p) => `  ${p.file}: ${p.at || '(root)'}: ${p.message}`).join('\n');
    const breaking = (outcome.changes?.breaking ?? []).map((c) => `  breaking: ${c.message}`).join('\n');
    process.stderr.write(`interchange: ${who}reload of ${file} failed, keeping the running configuration\n${outcome.code ? `${outcome.code}: ` : ''}${outcome.message ?? outcome.status}\n${problems}${breaking}\n`);
  }
}
