/**
 * Which generation serves requests, and when a replaced one may close. A request is pinned to the generation
 * that is current when it is first asked for its schema, and holds it until its execution ends (for a stream,
 * until the stream ends). A replaced generation is disposed when its last hold is released, or after `drainMs`
 * at the latest, so a stuck client cannot keep old pools open forever.
 */
export interface GenerationSwap<G extends AsyncDisposable> extends AsyncDisposable {
  /** The generation new requests get. */
  readonly current: G;
  /** When `current` was swapped in. */
  readonly loadedAt: Date;
  /** Replaced generations not disposed yet. */
  readonly draining: number;
  /** The generation `request` runs on: the current one the first time, the same one after, until released. */
  pin(request: object): G;
  /** The generation `request` was pinned to, if it was. */
  pinned(request: object): G | undefined;
  /** `request` no longer needs its generation (its response is complete, or its stream ended). */
  release(request: object): void;
  /** Makes `next` current; the one it replaces drains. */
  swap(next: G): void;
}

export interface GenerationSwapOptions {
  /** Milliseconds a replaced generation may wait for its requests before it is disposed anyway. Default 30000. */
  drainMs?: number;
  /** Told about a disposal failure (it is not thrown: the swap already happened). */
  onDisposeError?: (error: unknown) => void;
}

export const DEFAULT_DRAIN_MS = 30_000;

export function createGenerationSwap<G extends AsyncDisposable>(initial: G, options: GenerationSwapOptions = {}): GenerationSwap<G> {
  const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
  let current = initial;
  let loadedAt = new Date();
  const holds = new Map<G, number>([[initial, 0]]);
  const pins = new WeakMap<object, G>();
  /** Replaced generations and the timer that disposes them at the latest. */
  const retired = new Map<G, NodeJS.Timeout>();
  const disposals = new Set<Promise<void>>();

  function dispose(generation: G): void {
    const timer = retired.get(generation);
    if (timer === undefined) return;
    clearTimeout(timer);
    retired.delete(generation);
    holds.delete(generation);
    const disposal = Promise.resolve()
      .then(() => generation[Symbol.asyncDispose]())
      .catch((error: unknown) => options.onDisposeError?.(error))
      .finally(() => disposals.delete(disposal));
    disposals.add(disposal);
  }

  return {
    get current() {
      return current;
    },
    get loadedAt() {
      return loadedAt;
    },
    get draining() {
      return retired.size;
    },
    pin(request) {
      let generation = pins.get(request);
      if (!generation) {
        generation = current;
        pins.set(request, generation);
        holds.set(generation, (holds.get(generation) ?? 0) + 1);
      }
      return generation;
    },
    pinned: (request) => pins.get(request),
    release(request) {
      const generation = pins.get(request);
      if (!generation) return;
      pins.delete(request);
      const left = (holds.get(generation) ?? 1) - 1;
      holds.set(generation, left);
      if (left === 0 && retired.has(generation)) dispose(generation);
    },
    swap(next) {
      const previous = current;
      current = next;
      loadedAt = new Date();
      holds.set(next, holds.get(next) ?? 0);
      const timer = setTimeout(() => dispose(previous), drainMs);
      timer.unref();
      retired.set(previous, timer);
      if ((holds.get(previous) ?? 0) === 0) dispose(previous);
    },
    async [Symbol.asyncDispose]() {
      for (const generation of [...retired.keys()]) dispose(generation);
      await Promise.all([...disposals]);
      await current[Symbol.asyncDispose]();
    },
  };
}
