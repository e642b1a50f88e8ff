/**
 * The benchmark's child processes: started with `node --import tsx` directly (not `npx tsx`, which would put
 * a second process between us and the one whose `/proc` we read), awaited until they print a ready line, and
 * all killed at the end or on SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  /** The first stdout line `ready` accepted, already parsed by it. */
  readonly ready: unknown;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartChildOptions {
  name: string;
  /** Node flags before the entry file (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  entry: string;
  args?: string[];
  env?: Record<string, string>;
  cwd: string;
  /** Returns a value for the line that says the child is ready, undefined for any other line. */
  ready: (line: string) => unknown;
  /** How long to wait for the ready line. Default 60 s (tsx compiles the gateway on first start). */
  readyTimeoutMs?: number;
  /** CPUs the process (and every thread it starts) may run on, as `taskset -c` takes them (`1`, `0,1`). Default: any. */
  cpus?: string;
}

const running = new Set<BenchChild>();

/** Starts a child and waits for its ready line; its stderr is passed through with a name prefix. */
export async function startChild(options: StartChildOptions): Promise<BenchChild> {
  // Compiled entries (.js) run on plain node; TypeScript ones through tsx's loader.
  const loader = options.entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const argv = [...(options.nodeArgs ?? []), ...loader, options.entry, ...(options.args ?? [])];
  // taskset execs node in its own process, so the pid read from /proc is still the server's.
  const [command, commandArgs] = options.cpus === undefined ? [process.execPath, argv] : ['taskset', ['-c', options.cpus, process.execPath, ...argv]];
  const child = spawn(command, commandArgs, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) {
    await once(child, 'error');
    throw new Error(`${options.name}: could not spawn`);
  }
  const pid = child.pid;
  const exited = once(child, 'exit').then(() => undefined);
  createInterface({ input: child.stderr! }).on('line', (line) => process.stderr.write(`[${options.name}] ${line}\n`));

  let stopping: Promise<void> | undefined;
  const handle = {
    name: options.name,
    pid,
    ready: undefined as unknown,
    stop(graceMs = 5_000): Promise<void> {
      stopping ??= stopChild(child, exited, graceMs).then(() => {
        running.delete(handle);
      });
      return stopping;
    },
  };
  running.add(handle);

  try {
    handle.ready = await waitForReady(child, options);
  } catch (error) {
    await handle.stop(1_000);
    throw error;
  }
  return handle;
}

function waitForReady(child: ChildProcess, options: StartChildOptions): Promise<unknown> {
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    let readySeen = false;
    const timer = setTimeout(() => reject(new Error(`${options.name}: not ready after ${timeoutMs} ms`)), timeoutMs);
    lines.on('line', (line) => {
      if (readySeen) return;
      const value = options.ready(line);
      if (value === undefined) return;
      readySeen = true;
      clearTimeout(timer);
      resolve(value);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!readySeen) reject(new Error(`${options.name}: exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([exited, killed]);
  clearTimeout(timer);
  await exited;
}

/** Stops every child still running; used at the end of a run and on SIGINT/SIGTERM. */
export async function stopAllChildren(graceMs?: number): Promise<void> {
  await Promise.allSettled([...running].map((child) => child.stop(graceMs)));
}

/** True while the process with `pid` exists (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Parses a `BENCH_READY {json}` line, the ready protocol of the bench's own launchers. */
export function parseReadyLine(line: string): unknown {
  return line.startsWith('BENCH_READY ') ? (JSON.parse(line.slice('BENCH_READY '.length)) as unknown) : undefined;
}
