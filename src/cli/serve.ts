import { loadConfigFile } from '../config/load.js';
import { runGateway } from './run-gateway.js';

/** `interchange serve --config FILE [--port N]`; boot errors propagate to main, which exits 1. */
export async function runServe(options: { config: string; port?: number }): Promise<number> {
  const config = loadConfigFile(options.config);
  await runGateway(config, { port: options.port });
  return -1;
}
