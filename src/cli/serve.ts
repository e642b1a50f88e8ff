import { loadConfigFile } from '../config/load.js';
import { runGateway } from './run-gateway.js';

/** `interchange serve --config FILE [--port N]`; boot errors at start propagate to main, which exits 1. */
export async function runServe(options: { config: string; port?: number }): Promise<number> {
  const config = loadConfigFile(options.config);
  // The file is watched: a valid edit is applied without a restart, an invalid one is reported and ignored.
  await runGateway(config, { port: options.port, reloadConfig: () => loadConfigFile(options.config) });
  return -1;
}
