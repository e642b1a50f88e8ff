import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A source's schema as fetched from its backend (introspection, reflection), saved to load it without the backend. */
export interface SchemaSnapshot {
  /** `SourceKind.schemaSnapshot.fingerprint` of the entry it was taken for: only the same entry may use it. */
  readonly fingerprint: string;
  /** The kind's serialisation of the fetched schema (`LoadedSource.schemaSnapshot`). */
  readonly text: string;
  /** Epoch ms when it was fetched. */
  readonly savedAt: number;
}

/** Where snapshots are kept: the state directory, Redis in a cluster, or both. Never throws: a lost snapshot is only a lost fallback. */
export interface SchemaSnapshots {
  get(source: string): Promise<SchemaSnapshot | undefined>;
  put(source: string, snapshot: SchemaSnapshot): Promise<void>;
}

const SOURCE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

function isSnapshot(value: unknown): value is SchemaSnapshot {
  const v = value as Partial<SchemaSnapshot> | null;
  return typeof v === 'object' && v !== null && typeof v.fingerprint === 'string' && typeof v.text === 'string' && typeof v.savedAt === 'number';
}

/** Parses a stored snapshot; undefined when it is not one (a truncated file, another program's key). */
export function parseSnapshot(text: string | null | undefined): SchemaSnapshot | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isSnapshot(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `<dir>/snapshots/<source>.json`, each written atomically (a temporary file renamed over it). The directory is
 * made on the first write only, so a gateway whose sources all have spec files writes nothing.
 */
export function createFileSnapshots(dir: string, onError: (error: unknown) => void = () => {}): SchemaSnapshots {
  const folder = join(dir, 'snapshots');
  const fileOf = (source: string) => (SOURCE_NAME.test(source) ? join(folder, `${source}.json`) : undefined);
  return {
    async get(source) {
      const file = fileOf(source);
      if (!file) return undefined;
      try {
        return parseSnapshot(readFileSync(file, 'utf8'));
      } catch {
        return undefined;
      }
    },
    async put(source, snapshot) {
      const file = fileOf(source);
      if (!file) return;
      try {
        mkdirSync(folder, { recursive: true });
        const temporary = `${file}.${process.pid}.tmp`;
        writeFileSync(temporary, JSON.stringify(snapshot));
        renameSync(temporary, file);
      } catch (error) {
        onError(error);
      }
    },
  };
}

/**
 * Several stores as one: `get` answers the newest snapshot any of them has (another node may have fetched a
 * newer one), `put` writes to all. The last snapshot of each source is also kept in memory.
 */
export function layeredSnapshots(stores: readonly SchemaSnapshots[]): SchemaSnapshots {
  const memory = new Map<string, SchemaSnapshot>();
  return {
    async get(source) {
      const found = await Promise.all(stores.map((store) => store.get(source).catch(() => undefined)));
      let newest = memory.get(source);
      for (const snapshot of found) if (snapshot && (!newest || snapshot.savedAt > newest.savedAt)) newest = snapshot;
      return newest;
    },
    async put(source, snapshot) {
      memory.set(source, snapshot);
      await Promise.all(stores.map((store) => store.put(source, snapshot).catch(() => undefined)));
    },
  };
}
