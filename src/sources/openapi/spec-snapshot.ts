import type { FetchedDocument } from './load-document.js';

const FORMAT = 1;

/**
 * A schema snapshot of an OpenAPI source whose spec is a URL: every document the load fetched (the spec and the
 * documents its `$ref`s reached over http(s)), as text, keyed by URL. The raw text rather than the converted SDL:
 * loading from it runs the same parser and converter over the same bytes, so the schema, the operation table and
 * the notes come out as they did online, and `rename`, `prefix` and `exclude` apply afresh.
 */
interface SpecSnapshot {
  /** Bumped when the shape changes: a snapshot of another format is refused with a reason, not misread. */
  readonly format: typeof FORMAT;
  readonly documents: Readonly<Record<string, FetchedDocument>>;
}

/** The text saved as the snapshot of a load that fetched `documents`. */
export function serializeSpecSnapshot(documents: ReadonlyMap<string, FetchedDocument>): string {
  const snapshot: SpecSnapshot = { format: FORMAT, documents: Object.fromEntries(documents) };
  return JSON.stringify(snapshot);
}

/** The documents of a saved snapshot, to load the spec offline; throws an Error saying what is wrong with it. */
export function parseSpecSnapshot(text: string): ReadonlyMap<string, FetchedDocument> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`the OpenAPI spec snapshot is not JSON (${(error as Error).message})`);
  }
  const snapshot = value as Partial<SpecSnapshot> | null;
  if (typeof snapshot !== 'object' || snapshot === null || snapshot.format !== FORMAT) {
    throw new Error(`the OpenAPI spec snapshot is not of format ${FORMAT} (format ${JSON.stringify(snapshot?.format ?? null)})`);
  }
  const documents = snapshot.documents;
  if (typeof documents !== 'object' || documents === null || Array.isArray(documents)) throw new Error('the OpenAPI spec snapshot has no `documents` mapping');
  const out = new Map<string, FetchedDocument>();
  for (const [url, document] of Object.entries(documents)) {
    const candidate = document as Partial<FetchedDocument> | null;
    if (typeof candidate !== 'object' || candidate === null || typeof candidate.text !== 'string' || typeof candidate.json !== 'boolean') {
      throw new Error(`the OpenAPI spec snapshot's copy of ${url} has no text`);
    }
    out.set(url, { text: candidate.text, json: candidate.json });
  }
  return out;
}

/**
 * What a snapshot must match to stand in for an entry: the spec URL, the only input that decides which documents
 * are fetched (the fetch sends no configured headers). `rename`, `prefix` and `exclude` are left out on purpose:
 * they are applied to the snapshot's documents at load, so an edit of them keeps the fallback.
 */
export function specSnapshotFingerprint(specUrl: string): string {
  return JSON.stringify(['openapi', specUrl]);
}
