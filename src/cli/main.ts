import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { failureText } from './failure-text.js';

const USAGE = `Usage:
  interchange serve --config FILE [--port N] [--workers N|auto]
                                                 serve the gateway described by FILE (--workers: processes
                                                 sharing the port, default 1; auto: one per core)
  interchange check --config FILE [--print-schema]  validate FILE, convert every source, print the schema
  interchange demo [--port N] [--latency-ms N]   start the warehouse demo backends and a gateway over them
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        workers: { type: 'string', short: 'w' },
        'print-schema': { type: 'boolean' },
        'latency-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`interchange: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values['help'] || command === undefined || command === 'help' || command === '--help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const port = parseIntOption('port', values['port']);
  const latencyMs = parseIntOption('latency-ms', values['latency-ms']);
  const workers = parseWorkers(values['workers']);
  if (port === null || latencyMs === null || workers === null) return 2;
  if (values['workers'] !== undefined && command !== 'serve') {
    process.stderr.write(`interchange: --workers applies to serve only\n\n${USAGE}`);
    return 2;
  }
  const config = typeof values['config'] === 'string' ? values['config'] : undefined;
  switch (command) {
    case 'serve':
      if (!config) return missingConfig();
      // Each command loads only what it runs: the primary of `serve --workers N` serves no GraphQL, and its
      // memory stays that of a small process rather than a gateway's.
      return (await import('./serve.js')).runServe({ config, workers, ...(port !== undefined ? { port } : {}) });
    case 'check':
      if (!config) return missingConfig();
      return (await import('./check.js')).runCheck({ config, printSchema: values['print-schema'] === true });
    case 'demo':
      return (await import('./demo.js')).runDemo({ ...(port !== undefined ? { port } : {}), ...(latencyMs !== undefined ? { latencyMs } : {}) });
    default:
      process.stderr.write(`interchange: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

function parseIntOption(name: string, value: string | boolean | undefined): number | undefined | null {
  if (value === undefined || typeof value === 'boolean') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`interchange: --${name} must be a non-negative integer, got "${value}"\n`);
    return null;
  }
  return n;
}

/** `--workers N` (1 or more) or `auto` (one per core); default 1. */
function parseWorkers(value: string | boolean | undefined): number | null {
  if (value === undefined || typeof value === 'boolean') return 1;
  if (value === 'auto') return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`interchange: --workers must be a positive integer or "auto", got "${value}"\n`);
    return null;
  }
  return n;
}

function missingConfig(): number {
  process.stderr.write(`interchange: --config FILE is required\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    // serve and demo keep running until a signal; the others end here.
    if (code !== -1) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(failureText(error));
    process.exitCode = 1;
  },
);
