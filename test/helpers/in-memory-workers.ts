import type { WorkerChannel, WorkerMessage } from '../../src/server/worker-channel.js';

/** A message as it crosses Node's IPC: serialized, delivered later. */
const overIpc = (message: unknown) => JSON.parse(JSON.stringify(message)) as unknown;

/**
 * The workers of `serve --workers N` without processes: each one's `WorkerChannel`, linked to a primary's
 * `onMessage(worker, message)`, messages delivered as IPC does (serialized, on a later microtask). A worker that
 * is `disconnect`ed neither sends nor receives.
 */
export function inMemoryWorkers(count: number, primary: { onMessage(worker: number, message: unknown): void }) {
  const listeners = new Map<number, Set<(message: unknown) => void>>();
  const connected = new Set<number>();
  const sent: { from: number; message: WorkerMessage }[] = [];
  const channel = (index: number): WorkerChannel => {
    listeners.set(index, new Set());
    connected.add(index);
    return {
      index,
      count,
      send(message) {
        if (!connected.has(index)) return;
        sent.push({ from: index, message });
        const copy = overIpc(message);
        queueMicrotask(() => primary.onMessage(index, copy));
      },
      onMessage(listener) {
        listeners.get(index)!.add(listener);
        return () => void listeners.get(index)!.delete(listener);
      },
    };
  };
  return {
    channel,
    /** Messages the workers sent, in order. */
    sent,
    /** The primary sends `message` to `worker`: false when it is disconnected. */
    toWorker(worker: number, message: WorkerMessage): boolean {
      if (!connected.has(worker)) return false;
      const copy = overIpc(message);
      queueMicrotask(() => {
        for (const listener of listeners.get(worker) ?? []) listener(copy);
      });
      return true;
    },
    disconnect(worker: number) {
      connected.delete(worker);
    },
    listenerCount: (worker: number) => listeners.get(worker)?.size ?? 0,
  };
}

/** Lets every queued microtask and promise callback run. */
export const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
