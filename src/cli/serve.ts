import { runGateway } from './run-gateway.js';

/** `interchange serve --config FILE [--port N]`; boot errors at start propagate to main, which exits 1. */
export async function runServe(options: { config: string; port?: number }): Promise<number> {
  // Every input is watched: a valid edit is applied without a restart, an invalid one is reported and ignored.
  await runGateway(options.config, { port: options.port });
  return -1;
}
