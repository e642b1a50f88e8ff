import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export interface ChildHandle extends AsyncDisposable {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it printed so far. */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs a TypeScript entry point in its own process and resolves once `ready` matches its output.
 * Processes are killed on dispose, and SIGCONT'ed first so a test that froze one cannot leak it.
 */
export function startProcess(
  entry: string,
  args: string[],
  options: { env?: Record<string, string>; ready: RegExp; timeoutMs?: number; preload?: readonly string[] },
): Promise<ChildHandle & { match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const preload = (options.preload ?? []).flatMap((file) => ['--import', join(root, file)]);
    const child = spawn(process.execPath, ['--import', 'tsx', ...preload, join(root, entry), ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let settled = false;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const handle: ChildHandle = {
      child,
      pid: child.pid!,
      output: () => output,
      async kill(signal = 'SIGKILL') {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGCONT');
        child.kill(signal);
        await exited;
      },
      [Symbol.asyncDispose]: () => handle.kill(),
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      void handle.kill();
      reject(new Error(`${entry} not ready within ${options.timeoutMs ?? 20_000} ms:\n${output}`));
    }, options.timeoutMs ?? 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = options.ready.exec(output);
      if (match && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve(Object.assign(handle, { match }));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${entry} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

/** One demo backend in a child process on a free port (or `port`, to restart it where it was). */
export async function startBackendProcess(name: 'inventory' | 'logistics' | 'orders' | 'reviews', port = 0) {
  const handle = await startProcess('test/fixtures/one-backend.ts', [name, String(port)], { ready: /ready (\S+)/ });
  return Object.assign(handle, { url: handle.match[1]! });
}

/**
 * `interchange serve` in a child process (`--workers N` with `workers`); resolves with its GraphQL URL. With
 * `adjustableClock`, the process's `Date.now()` moves forward by `CLOCK_STEP_MS` at each `advanceClock()`
 * (test/fixtures/adjustable-clock.ts).
 */
export async function startGatewayProcess(config: string, env: Record<string, string> = {}, options: { adjustableClock?: boolean; workers?: number } = {}) {
  const workers = options.workers === undefined ? [] : ['--workers', String(options.workers)];
  const handle = await startProcess('src/cli/main.ts', ['serve', '--config', config, '--port', '0', ...workers], {
    env,
    // With workers, the primary's line once every worker serves (each worker logs its URL before that).
    ready: options.workers === undefined ? /(http:\/\/\S+\/graphql)/ : /Interchange is serving \d+ sources at (http:\/\/\S+\/graphql) with/,
    ...(options.adjustableClock ? { preload: ['test/fixtures/adjustable-clock.ts'] } : {}),
  });
  return Object.assign(handle, {
    url: handle.match[1]!,
    /** Moves the process's clock one step forward; resolves once it says so. */
    async advanceClock(): Promise<void> {
      const seen = (handle.output().match(/clock \+/g) ?? []).length;
      handle.child.kill('SIGUSR2');
      for (let i = 0; i < 200 && (handle.output().match(/clock \+/g) ?? []).length === seen; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      if ((handle.output().match(/clock \+/g) ?? []).length === seen) throw new Error('the gateway process did not move its clock');
    },
  });
}
