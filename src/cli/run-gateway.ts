import type { LiveOutcome } from '../admin/live-routes.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { listen } from '../server/listen.js';
import { createLiveGateway } from '../server/live-config.js';

export interface RunGatewayOptions {
  /** Overrides `server.port` (and `PORT`). */
  port?: number | undefined;
  logger?: Logger;
  /** Runs after the gateway closed (the demo stops its backends). */
  onClose?: () => Promise<void>;
  graphiqlDefaultQuery?: string;
  /** Variables for `${VAR}`. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Serves the config `file` under live operation (every input watched, SIGHUP reloads, the admin API, the cluster)
 * until SIGTERM or SIGINT, then shuts down gracefully: `/readyz` turns 503 at once, requests are still accepted for
 * `server.shutdownGraceMs` (so load balancers notice), then the listener closes, subscriptions end cleanly,
 * in-flight requests get `server.shutdownTimeoutMs` to finish, pools close, and the process exits 0.
 */
export async function runGateway(file: string, options: RunGatewayOptions = {}): Promise<void> {
  const logger = options.logger ?? createLogger();
  const live = await createLiveGateway({
    file,
    logger,
    ...(options.env ? { env: options.env } : {}),
    ...(options.graphiqlDefaultQuery !== undefined ? { graphiqlDefaultQuery: options.graphiqlDefaultQuery } : {}),
    onOutcome: (outcome) => printOutcome(file, outcome),
  });
  const { gateway } = live;
  const config = gateway.startedWith;
  const envPort = process.env['PORT'] ? Number(process.env['PORT']) : undefined;
  const port = options.port ?? (Number.isInteger(envPort) ? envPort! : config.server.port);
  const server = await listen(gateway, { port, host: config.server.host, drainMs: config.server.shutdownTimeoutMs });
  live.listening(server.origin);
  const current = gateway.current;
  logger.info({ url: server.url, sources: [...current.sources.keys()], missing: current.missing, version: live.version }, 'gateway ready');
  process.stdout.write(`Interchange is serving ${current.sources.size} sources at ${server.url}\n`);
  for (const missing of current.missing) process.stdout.write(`Interchange: source ${missing.name} is left out until its schema loads (${missing.reason})\n`);

  const onHangup = () => void live.reload('signal').then((outcome) => printOutcome(file, outcome));
  process.on('SIGHUP', onHangup);

  let stopping = false;
  async function stop(signal: string) {
    if (stopping) return;
    stopping = true;
    // SIGINT (Ctrl-C) is someone at a terminal: no load balancer to tell, no grace.
    const graceMs = signal === 'SIGTERM' ? gateway.current.config.server.shutdownGraceMs : 0;
    logger.info({ signal, graceMs }, 'shutting down');
    gateway.readiness.beginShutdown();
    process.off('SIGHUP', onHangup);
    await live.stop();
    await new Promise((resolve) => setTimeout(resolve, graceMs));
    gateway.closeStreams();
    await server.close();
    await live[Symbol.asyncDispose]();
    await options.onClose?.();
    logger.info('stopped');
    process.exit(0);
  }
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

/** What the operator sees of a reload on the terminal, beside the log line. */
function printOutcome(file: string, outcome: LiveOutcome): void {
  if (outcome.status === 'applied') {
    process.stdout.write(`Interchange reloaded ${file} (version ${outcome.version}${outcome.trigger === 'retry' ? ', a source came back' : ''})\n`);
    if (outcome.needRestart?.length) process.stdout.write(`Interchange: ${outcome.needRestart.join(', ')} only change on restart\n`);
  } else if (outcome.status !== 'unchanged') {
    const problems = (outcome.problems ?? []).map((p) => `  ${p.file}: ${p.at || '(root)'}: ${p.message}`).join('\n');
    const breaking = (outcome.changes?.breaking ?? []).map((c) => `  breaking: ${c.message}`).join('\n');
    process.stderr.write(`interchange: reload of ${file} failed, keeping the running configuration\n${outcome.code ? `${outcome.code}: ` : ''}${outcome.message ?? outcome.status}\n${problems}${breaking}\n`);
  }
}
