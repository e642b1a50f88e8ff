/**
 * Stage state that outlives a generation: a reload builds new stages, but a breaker that is open or a replica
 * that is ejected must stay so. Values are keyed by source, stage and key.
 *
 * A reload is two-phase, so that building a generation never changes what the generation serving now uses:
 *  - **build**: the new generation takes a lease (`lease()`) and gets its values through it; a value that does
 *    not exist yet is made for this lease alone, and changes to shared values (new settings) are only recorded
 *    (`onCommit`);
 *  - **commit**: when the generation is swapped in, its new values join the retained ones, the recorded changes
 *    run, and every retained value it did not ask for (a source it removed, a breaker whose settings it changed,
 *    a replica it no longer has) is dropped.
 * A value is disposed once it is dropped (or was never committed: a refused reload) and no generation that
 * still runs holds it: a replaced generation draining its requests keeps its breakers working until it closes.
 */
export interface RetainedState extends Disposable {
  /** Opens the lease of a generation being built. */
  lease(): RetainedLease;
}

/** What one generation retains, from its build until it closes. */
export interface RetainedLease {
  /** The value for `(source, stage, key)`: the retained one, or one made by `create` for this generation. */
  get<T>(source: string, stage: string, key: string, create: () => T): T;
  /** Runs `apply` when this generation is committed; never when it is refused. */
  onCommit(apply: () => void): void;
  /**
   * The generation is current now: its values become the retained ones (the others are dropped), then the
   * recorded changes run in the order they were recorded. A second call does nothing.
   */
  commit(): void;
  /** The generation closed (or was refused): values only it held and no longer retained are disposed. */
  release(): void;
}

interface Entry {
  readonly id: string;
  readonly value: unknown;
  /** Leases not released yet that hold it. */
  holders: number;
  /** In the retained map: a later generation may get it. */
  retained: boolean;
  disposed: boolean;
}

const dispose = (entry: Entry) => {
  if (entry.disposed) return;
  entry.disposed = true;
  const { value } = entry;
  if (value !== null && typeof value === 'object' && Symbol.dispose in value) (value as Disposable)[Symbol.dispose]();
};

const disposeIfUnused = (entry: Entry) => {
  if (!entry.retained && entry.holders === 0) dispose(entry);
};

export function createRetainedState(): RetainedState {
  const entries = new Map<string, Entry>();
  /** The lease committed last: a value it makes after its commit is retained at once. */
  let current: object | undefined;

  function lease(): RetainedLease {
    const held = new Map<string, Entry>();
    const changes: (() => void)[] = [];
    let committed = false;
    let released = false;
    const self: RetainedLease = {
      get<T>(source: string, stage: string, key: string, create: () => T): T {
        const id = `${source}\u0000${stage}\u0000${key}`;
        let entry = held.get(id);
        if (entry) return entry.value as T;
        entry = entries.get(id);
        if (!entry) {
          entry = { id, value: create(), holders: 0, retained: false, disposed: false };
          if (committed && current === self) {
            entries.set(id, entry);
            entry.retained = true;
          }
        }
        entry.holders++;
        held.set(id, entry);
        return entry.value as T;
      },
      onCommit(apply) {
        if (committed) apply();
        else changes.push(apply);
      },
      commit() {
        if (committed || released) return;
        committed = true;
        current = self;
        for (const [id, entry] of entries) {
          if (held.get(id) === entry) continue;
          entries.delete(id);
          entry.retained = false;
          disposeIfUnused(entry);
        }
        for (const [id, entry] of held) {
          entries.set(id, entry);
          entry.retained = true;
        }
        for (const apply of changes.splice(0)) apply();
      },
      release() {
        if (released) return;
        released = true;
        if (current === self) current = undefined;
        for (const entry of held.values()) {
          entry.holders--;
          disposeIfUnused(entry);
        }
        held.clear();
      },
    };
    return self;
  }

  return {
    lease,
    [Symbol.dispose]() {
      for (const entry of entries.values()) {
        entry.retained = false;
        dispose(entry);
      }
      entries.clear();
    },
  };
}
