/**
 * Stage state that outlives a generation: a reload builds new stages, but a breaker that is open or a replica
 * that is ejected must stay so. Values are keyed by source, stage and key; `keepOnly` drops (and disposes) the
 * values of sources that left the config.
 */
export interface RetainedState extends Disposable {
  /** The value for `(source, stage, key)`, made by `create` the first time. */
  get<T>(source: string, stage: string, key: string, create: () => T): T;
  /** Forgets every value of a source not in `sources`. */
  keepOnly(sources: Iterable<string>): void;
}

export function createRetainedState(): RetainedState {
  const bySource = new Map<string, Map<string, unknown>>();
  const dispose = (value: unknown) => {
    if (value !== null && typeof value === 'object' && Symbol.dispose in value) (value as Disposable)[Symbol.dispose]();
  };
  return {
    get<T>(source: string, stage: string, key: string, create: () => T): T {
      let values = bySource.get(source);
      if (!values) bySource.set(source, (values = new Map()));
      const id = `${stage}\u0000${key}`;
      if (!values.has(id)) values.set(id, create());
      return values.get(id) as T;
    },
    keepOnly(sources) {
      const keep = new Set(sources);
      for (const [source, values] of bySource) {
        if (keep.has(source)) continue;
        for (const value of values.values()) dispose(value);
        bySource.delete(source);
      }
    },
    [Symbol.dispose]() {
      this.keepOnly([]);
    },
  };
}
