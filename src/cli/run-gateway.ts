import { createGateway } from '../server/create-gateway.js';
import type { GatewayConfig } from '../config/load.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { listen } from '../server/listen.js';
import { watchConfig } from '../server/watch-config.js';

/** Serves `config` until SIGINT/SIGTERM, then closes the socket, drains and disposes everything. */
export async function runGateway(
  config: GatewayConfig,
  options: { port?: number | undefined; logger?: Logger; onClose?: () => Promise<void>; reloadConfig?: () => GatewayConfig; graphiqlDefaultQuery?: string },
): Promise<void> {
  const logger = options.logger ?? createLogger();
  const envPort = process.env['PORT'] ? Number(process.env['PORT']) : undefined;
  const port = options.port ?? (Number.isInteger(envPort) ? envPort! : config.server.port);
  const gateway = await createGateway(config, { logger, ...(options.graphiqlDefaultQuery !== undefined ? { graphiqlDefaultQuery: options.graphiqlDefaultQuery } : {}) });
  const server = await listen(gateway, { port, host: config.server.host });
  logger.info({ url: server.url, sources: config.sources.map((s) => s.name) }, 'gateway ready');
  process.stdout.write(`Interchange is serving ${config.sources.length} sources at ${server.url}\n`);
  const reloadConfig = options.reloadConfig;
  const watcher = reloadConfig ? watchConfig({ file: config.file, logger, reload: () => gateway.reload(reloadConfig()) }) : undefined;

  let stopping = false;
  async function stop(signal: string) {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    watcher?.[Symbol.dispose]();
    await server.close();
    await gateway[Symbol.asyncDispose]();
    await options.onClose?.();
    process.exit(0);
  }
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
