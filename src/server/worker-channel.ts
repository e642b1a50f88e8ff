/**
 * The link between one worker of `interchange serve --workers N` and its primary: Node's cluster IPC, behind a
 * narrow interface so the parts that share state across workers (metrics, abuse detection, reloads, purges) can
 * be driven in a test without processes. Messages are plain JSON objects with a `channel` naming their feature.
 */
export interface WorkerChannel {
  /** This worker's slot, 1..count: a replacement for a worker that died gets the same one. */
  readonly index: number;
  /** How many workers serve (N of `--workers N`). */
  readonly count: number;
  /** Sends a message to the primary. */
  send(message: WorkerMessage): void;
  /** Calls `listener` with every message from the primary; returns the function that stops it. */
  onMessage(listener: (message: unknown) => void): () => void;
}

/** Every message carries the feature it belongs to, so each reads only its own. */
export interface WorkerMessage {
  readonly channel: string;
  readonly type: string;
  readonly [key: string]: unknown;
}

/** Messages of the worker lifecycle and of changes passed on to the other workers (`server/worker-channel.ts`). */
export const WORKERS_CHANNEL = 'interchange:workers';

/** Environment variables that make a forked process a worker: its slot and the number of workers. */
export const WORKER_ENV = { index: 'INTERCHANGE_WORKER', count: 'INTERCHANGE_WORKERS' } as const;

/** Whether `message` is one of `channel`'s, of `type` when given. */
export function isChannelMessage(message: unknown, channel: string, type?: string): message is WorkerMessage {
  if (message === null || typeof message !== 'object') return false;
  const m = message as Partial<WorkerMessage>;
  return m.channel === channel && (type === undefined || m.type === type);
}

/** The channel of this process when it is a cluster worker started by `serve --workers N`; undefined otherwise. */
export function processWorkerChannel(env: Readonly<Record<string, string | undefined>> = process.env): WorkerChannel | undefined {
  const index = Number(env[WORKER_ENV.index]);
  const count = Number(env[WORKER_ENV.count]);
  if (!process.send || !Number.isInteger(index) || index < 1 || !Number.isInteger(count) || count < 1) return undefined;
  return {
    index,
    count,
    send(message) {
      // The primary may be gone (then this worker exits on the disconnect): a lost message changes nothing.
      if (process.connected) process.send!(message);
    },
    onMessage(listener) {
      process.on('message', listener);
      return () => void process.off('message', listener);
    },
  };
}
