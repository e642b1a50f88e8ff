import type { z } from 'zod';
import type { CommonSourceConfig } from './source-config.js';
import type { ConvertedSource, Transport } from './types.js';

/** A key of a `sources:` entry that names nothing in the converted spec (`rename.reviewz`), found at load. */
export interface ConfigKeyProblem {
  /** The key path inside the entry, as the user wrote it: `rename.reviewz`, `exclude[2]`. */
  readonly key: string;
  readonly message: string;
}

/** A converted source plus the factory of its transport: the load phase's output for one source. */
export interface LoadedSource<Config extends CommonSourceConfig = CommonSourceConfig> {
  readonly config: Config;
  readonly converted: ConvertedSource;
  /**
   * Keys of the entry that name nothing in the spec, which only the kind can tell (`operations` keys are checked
   * for every kind by the gateway). Reported as CONFIG_INVALID at `sources[i].<key>`. Default none.
   */
  readonly configProblems?: readonly ConfigKeyProblem[];
  /** Opens nothing until called; the gateway calls it once per generation. */
  createTransport(): Transport;
  /**
   * The schema as fetched from the backend (introspection, reflection), serialised by the kind, when it was
   * fetched: the gateway saves it so the source can load without the backend later (`SourceKind.schemaSnapshot`).
   */
  readonly schemaSnapshot?: string;
}

/** A spec sent as text instead of a path (through the admin API): the key it comes in and the path key it stands for. */
export interface InlineSpec {
  /** The key of the text: `specText`. */
  readonly key: string;
  /** The path key it replaces once written to a file: `spec`. */
  readonly replaces: string;
  /** The file name extension the text is written with (`.yaml`, `.proto`), from the text itself. */
  extension(text: string): string;
}

/** How a kind whose schema may come from the backend loads without it. */
export interface SchemaSnapshotSupport<Config extends CommonSourceConfig> {
  /** True when this entry's schema is fetched from the backend at load (no spec file names it). */
  fetches(config: Config): boolean;
  /**
   * What a saved snapshot must match to stand in for this entry (the kind, the endpoint asked, options that
   * shape the fetched schema): a snapshot of another service is never used.
   */
  fingerprint(config: Config): string;
  /** Loads the entry from a snapshot (`LoadedSource.schemaSnapshot` of an earlier load) instead of the backend. */
  load(config: Config, snapshot: string): Promise<LoadedSource<Config>>;
  /**
   * Whether a failed load means the schema could not be fetched (the backend away), so that a snapshot may stand
   * in and the source may be left out; any other failure is reported as it is. Default: every failure.
   */
  unreachable?(error: unknown): boolean;
}

/** A file or directory named by a config entry, checked at load: `key` as the user wrote it (`tls.ca`). */
export interface NamedPath {
  readonly key: string;
  readonly path: string;
  readonly type: 'file' | 'directory';
}

/**
 * Everything the gateway knows about one kind of source (`kind: openapi`, ...). The config schema, the load
 * checks, `check` and the gateway iterate over `SOURCE_KINDS` (`sources/registry.ts`), so a new kind is one new
 * folder exporting one of these and one line in the registry.
 */
export interface SourceKind<Schema extends z.ZodObject = z.ZodObject, Config extends CommonSourceConfig = z.infer<Schema> & CommonSourceConfig> {
  /** The value of `kind:` in the config. */
  readonly kind: string;
  /**
   * One `sources:` entry of this kind: a strict object spreading `sourceConfigFields` and adding
   * `kind: z.literal(<kind>)` and the kind's own keys.
   */
  readonly configSchema: Schema;
  /**
   * True for a kind whose calls are whole GraphQL documents sent to a remote GraphQL service (a delegated
   * stitching subschema); false for kinds whose operations run in-process as resolvers (REST, gRPC).
   */
  readonly delegated: boolean;
  /** The entry with every path made absolute against the config file's directory (URLs stay URLs). */
  resolvePaths(config: Config, baseDir: string): Config;
  /** Files and directories the (resolved) entry names, which must exist when the config loads. */
  paths(config: Config): readonly NamedPath[];
  /** What is wrong with one entry of `endpoints`, or undefined when it is usable. */
  checkEndpoint(endpoint: string): string | undefined;
  /**
   * Converts the spec into SDL and operations. Pure except where the schema can only come from the backend
   * (a remote GraphQL schema without an SDL file, gRPC without a .proto): then it asks the first endpoint.
   */
  load(config: Config): Promise<LoadedSource<Config>>;
  /** What `interchange check` prints under the source: a summary and one line per exposed field. */
  describe(converted: ConvertedSource): { summary: string; fields: readonly string[] };
  /** The key a spec may be sent inline with instead of a file (the admin API). Default: none. */
  readonly inlineSpec?: InlineSpec;
  /** Kinds that may fetch their schema from the backend: how to load from a saved snapshot instead. Default: none. */
  readonly schemaSnapshot?: SchemaSnapshotSupport<Config>;
}

/** Checks a definition's types where it is written, and keeps its literal config type. */
export function defineSourceKind<Schema extends z.ZodObject, Config extends CommonSourceConfig = z.infer<Schema> & CommonSourceConfig>(
  definition: SourceKind<Schema, Config>,
): SourceKind<Schema, Config> {
  return definition;
}

/** An http:// or https:// URL, the endpoint form of every HTTP-based kind. */
export function checkHttpEndpoint(endpoint: string): string | undefined {
  try {
    const url = new URL(endpoint);
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : `"${endpoint}" must be an http:// or https:// URL`;
  } catch {
    return `"${endpoint}" is not a URL`;
  }
}

/** The usual `describe` of an in-process kind: counts by root type, then `Root.field ← operationId`. */
export function describeOperations(converted: ConvertedSource): { summary: string; fields: string[] } {
  const operations = [...converted.operations.values()];
  const byRoot = (root: string) => operations.filter((op) => op.rootType === root).length;
  return {
    summary: `${byRoot('Query')} queries, ${byRoot('Mutation')} mutations, ${byRoot('Subscription')} subscriptions`,
    fields: operations.map((op) => `${`${op.rootType}.${op.fieldName}`.padEnd(36)} ← ${op.operationId}`),
  };
}
