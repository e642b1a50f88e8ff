import type { GatewayConfig } from '../config/load.js';
import type { SourceConfig } from '../config/schema.js';
import { ConfigInvalidError, SpecInvalidError, isBootError, type Problem } from '../errors.js';
import type { LoadedSource as KindLoadedSource } from '../sources/kind.js';
import { sourceKindOf } from '../sources/registry.js';
import type { OperationSpec } from '../sources/types.js';
import type { SchemaSnapshots } from './schema-snapshots.js';

/** A source of any registered kind, converted, with the factory of its transport. */
export type LoadedSource = KindLoadedSource<SourceConfig>;

/** Converts one source's spec by its kind. Pure but for schemas only the backend has (introspection, reflection). */
export function loadSource(config: SourceConfig): Promise<LoadedSource> {
  return sourceKindOf(config).load(config) as Promise<LoadedSource>;
}

/**
 * Converts every source in parallel and reports every broken spec at once; then every config key that names
 * nothing in its converted spec (an `operations:` typo), which only the converted operations can tell.
 */
export async function loadSources(config: GatewayConfig): Promise<LoadedSource[]> {
  return (await loadSourcesDegraded(config)).loaded;
}

/** Where a loaded source's schema came from. */
export type SchemaOrigin = 'spec' | 'fetched' | 'snapshot';

/** A source left out of a generation because its schema could be neither fetched nor read from a snapshot. */
export interface MissingSource {
  readonly name: string;
  /** Why the fetch failed (the first problem's message). */
  readonly reason: string;
}

export interface LoadSourcesOptions {
  /** Saved schemas of sources whose schema is fetched: written after every fetch, read when a fetch fails. Default none. */
  snapshots?: SchemaSnapshots;
  /**
   * Whether a source whose schema can be neither fetched nor read from a snapshot is left out (and listed in
   * `missing`) instead of failing the whole load. Default: never.
   */
  tolerateMissing?: (source: string) => boolean;
}

export interface SourcesLoad {
  readonly loaded: LoadedSource[];
  /** Each loaded source's schema origin, by name. */
  readonly origins: ReadonlyMap<string, SchemaOrigin>;
  readonly missing: readonly MissingSource[];
}

/**
 * `loadSources` for a gateway that must start and stay up with backends down: a source whose schema is fetched
 * (introspection, reflection) is loaded from its last snapshot when the fetch fails, or, with none and when
 * `tolerateMissing` allows, left out and listed in `missing`.
 */
export async function loadSourcesDegraded(config: GatewayConfig, options: LoadSourcesOptions = {}): Promise<SourcesLoad> {
  const settled = await Promise.allSettled(config.sources.map((source) => loadWithSnapshot(source, options)));
  const problems: Problem[] = [];
  const loaded: LoadedSource[] = [];
  const origins = new Map<string, SchemaOrigin>();
  const missing: MissingSource[] = [];
  settled.forEach((result, index) => {
    if (result.status === 'fulfilled') {
      if ('missing' in result.value) missing.push(result.value.missing);
      else {
        loaded.push(result.value.loaded);
        origins.set(result.value.loaded.config.name, result.value.origin);
      }
    } else if (isBootError(result.reason)) problems.push(...result.reason.problems);
    else problems.push({ file: config.file, at: `sources[${index}]`, message: result.reason instanceof Error ? result.reason.message : String(result.reason) });
  });
  if (problems.length > 0) throw new SpecInvalidError('Some sources cannot be loaded', problems);
  const keyProblems = loaded.flatMap((source) => {
    const index = config.sources.findIndex((entry) => entry.name === source.config.name);
    return [
      ...(source.configProblems ?? []).map((p) => ({ file: config.file, at: `sources[${index}].${p.key}`, message: p.message })),
      ...unknownOperationKeys(source).map((p) => ({ file: config.file, at: `sources[${index}].operations.${p.key}`, message: p.message })),
    ];
  });
  // A rule naming an operation of a source left out for now (its schema unreachable) is not a typo: skip those.
  if (missing.length === 0) keyProblems.push(...unknownRateLimitOperations(config, loaded));
  if (keyProblems.length > 0) throw new ConfigInvalidError(`Config ${config.file} names fields its sources do not have`, keyProblems);
  return { loaded, origins, missing };
}

type LoadResult = { loaded: LoadedSource; origin: SchemaOrigin } | { missing: MissingSource };

async function loadWithSnapshot(config: SourceConfig, options: LoadSourcesOptions): Promise<LoadResult> {
  const support = sourceKindOf(config).schemaSnapshot;
  const fetches = support?.fetches(config) ?? false;
  if (!support || !fetches) return { loaded: await loadSource(config), origin: 'spec' };
  try {
    const loaded = await loadSource(config);
    if (loaded.schemaSnapshot !== undefined) await options.snapshots?.put(config.name, { fingerprint: support.fingerprint(config), text: loaded.schemaSnapshot, savedAt: Date.now() });
    return { loaded, origin: 'fetched' };
  } catch (error) {
    // A schema that was fetched and is wrong is reported as it is, not hidden behind an earlier snapshot.
    if (support.unreachable && !support.unreachable(error)) throw error;
    const saved = await options.snapshots?.get(config.name);
    // A snapshot that is no fallback changes nothing but the reason given: the fetch's own failure comes first.
    let unused: string | undefined;
    if (saved && 'unreadable' in saved) unused = `${saved.unreadable}: not used`;
    else if (saved && saved.fingerprint !== support.fingerprint(config)) unused = 'the saved schema snapshot was taken for another entry (its endpoint, spec URL or options differ): not used';
    else if (saved) {
      try {
        return { loaded: (await support.load(config, saved.text)) as LoadedSource, origin: 'snapshot' };
      } catch (snapshotError) {
        unused = `the saved schema snapshot cannot be loaded (${errorMessage(snapshotError)}): not used`;
      }
    }
    if (!options.tolerateMissing?.(config.name)) throw error;
    const reason = errorMessage(error);
    return { missing: { name: config.name, reason: unused === undefined ? reason : `${reason}; ${unused}` } };
  }
}

/** A boot error's first problem (the located cause), or any error's message. */
function errorMessage(error: unknown): string {
  return isBootError(error) ? (error.problems[0]?.message ?? error.message) : error instanceof Error ? error.message : String(error);
}

/**
 * A `by: operation` rule names a source operation by its public field name; one that names none (an operationName
 * such as `CreateOrder`, as the rule once read) would limit nothing.
 */
function unknownRateLimitOperations(config: GatewayConfig, loaded: readonly LoadedSource[]): Problem[] {
  const problems: Problem[] = [];
  config.rateLimits.forEach((rule, index) => {
    if (rule.by !== 'operation') return;
    const candidates = loaded.filter((source) => rule.source === undefined || source.config.name === rule.source);
    if (candidates.some((source) => [...source.converted.operations.values()].some((op) => op.fieldName === rule.operation))) return;
    const where = rule.source === undefined ? 'no source has an' : `"${rule.source}" has no`;
    problems.push({ file: config.file, at: `rateLimits[${index}].operation`, message: `${where} operation "${rule.operation}" (the rule names a source operation by its field name, e.g. createOrder, not a GraphQL operation name)` });
  });
  return problems;
}

/**
 * `operations:` keys are public field names (after `rename`), as the pipeline's stages look them up; a key that
 * matches none would silently change nothing. The message names the field a default name or operationId became.
 */
export function unknownOperationKeys(source: LoadedSource): { key: string; message: string }[] {
  const operations = [...source.converted.operations.values()];
  const fieldNames = new Set(operations.map((op) => op.fieldName));
  return Object.keys(source.config.operations ?? {})
    .filter((key) => !fieldNames.has(key))
    .map((key) => {
      const renamed = operations.find((op) => namesOperation(op, key));
      const names = [...fieldNames];
      const known = `${names.slice(0, 8).join(', ')}${names.length > 8 ? `, … (${names.length} in all)` : ''}`;
      const hint = renamed ? `; it is exposed as "${renamed.fieldName}" (operations are keyed by the public field name)` : ` (its fields: ${known})`;
      return { key, message: `"${source.config.name}" has no field "${key}"${hint}` };
    });
}

function namesOperation(operation: OperationSpec, key: string): boolean {
  const last = operation.operationId.split(/[/.]/).pop() ?? '';
  return operation.operationId === key || last === key || last.charAt(0).toLowerCase() + last.slice(1) === key;
}
