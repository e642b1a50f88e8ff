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

/** A stored snapshot that cannot be read (a truncated file, another program's key): no fallback, but the reason is told. */
export interface UnreadableSnapshot {
  /** Why, naming where it is stored: `the snapshot file /state/snapshots/pets.json is not JSON (...)`. */
  readonly unreadable: string;
}

/** Where snapshots are kept: the state directory, Redis in a cluster, or both. Never throws: a lost snapshot is only a lost fallback. */
export interface SchemaSnapshots {
  /** The snapshot of `source`, undefined when none is stored. */
  get(source: string): Promise<SchemaSnapshot | UnreadableSnapshot | undefined>;
  put(source: string, snapshot: SchemaSnapshot): Promise<void>;
}

const SOURCE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

function isSnapshot(value: unknown): value is SchemaSnapshot {
  const v = value as Partial<SchemaSnapshot> | null;
  return typeof v === 'object' && v !== null && typeof v.fingerprint === 'string' && typeof v.text === 'string' && typeof v.savedAt === 'number';
}

/** Parses a stored snapshot (undefined when nothing is stored); `where` names the store in the reason when it is not one. */
export function parseSnapshot(text: string | null | undefined, where = 'the stored schema snapshot'): SchemaSnapshot | UnreadableSnapshot | undefined {
  if (text === null || text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { unreadable: `${where} is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  return isSnapshot(value) ? value : { unreadable: `${where} is not a schema snapshot (it needs fingerprint, text and savedAt)` };
}

/** True for a snapshot that can be tried (not an unreadable one). */
export function isReadable(snapshot: SchemaSnapshot | UnreadableSnapshot | undefined): snapshot is SchemaSnapshot {
  return snapshot !== undefined && !('unreadable' in snapshot);
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
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        return code === 'ENOENT' ? undefined : { unreadable: `the snapshot file ${file} cannot be read (${code ?? String(error)})` };
      }
      return parseSnapshot(text, `the snapshot file ${file}`);
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
 * newer one), or, when none has a readable one, why the first unreadable one is not. `put` writes to all. The
 * last snapshot of each source is also kept in memory.
 */
export function layeredSnapshots(stores: readonly SchemaSnapshots[]): SchemaSnapshots {
  const memory = new Map<string, SchemaSnapshot>();
  return {
    async get(source) {
      const found = await Promise.all(stores.map((store) => store.get(source).catch(() => undefined)));
      let newest = memory.get(source);
      for (const snapshot of found) if (isReadable(snapshot) && (!newest || snapshot.savedAt > newest.savedAt)) newest = snapshot;
      return newest ?? found.find((snapshot) => snapshot !== undefined);
    },
    async put(source, snapshot) {
      memory.set(source, snapshot);
      await Promise.all(stores.map((store) => store.put(source, snapshot).catch(() => undefined)));
    },
  };
}
