import type { GatewayConfig } from '../config/load.js';
import type { SourceConfig } from '../config/schema.js';
import { ConfigInvalidError, SpecInvalidError, isBootError, type Problem } from '../errors.js';
import type { LoadedSource as KindLoadedSource } from '../sources/kind.js';
import { sourceKindOf } from '../sources/registry.js';
import type { OperationSpec } from '../sources/types.js';

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
  const settled = await Promise.allSettled(config.sources.map(loadSource));
  const problems: Problem[] = [];
  const loaded: LoadedSource[] = [];
  settled.forEach((result, index) => {
    if (result.status === 'fulfilled') loaded.push(result.value);
    else if (isBootError(result.reason)) problems.push(...result.reason.problems);
    else problems.push({ file: config.file, at: `sources[${index}]`, message: result.reason instanceof Error ? result.reason.message : String(result.reason) });
  });
  if (problems.length > 0) throw new SpecInvalidError('Some sources cannot be loaded', problems);
  const keyProblems = loaded.flatMap((source, index) => [
    ...(source.configProblems ?? []).map((p) => ({ file: config.file, at: `sources[${index}].${p.key}`, message: p.message })),
    ...unknownOperationKeys(source).map((p) => ({ file: config.file, at: `sources[${index}].operations.${p.key}`, message: p.message })),
  ]);
  keyProblems.push(...unknownRateLimitOperations(config, loaded));
  if (keyProblems.length > 0) throw new ConfigInvalidError(`Config ${config.file} names fields its sources do not have`, keyProblems);
  return loaded;
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
