import type { GatewayConfig } from '../config/load.js';
import type { SourceConfig } from '../config/schema.js';
import { SpecInvalidError, isBootError, type Problem } from '../errors.js';
import type { LoadedSource as KindLoadedSource } from '../sources/kind.js';
import { sourceKindOf } from '../sources/registry.js';

/** A source of any registered kind, converted, with the factory of its transport. */
export type LoadedSource = KindLoadedSource<SourceConfig>;

/** Converts one source's spec by its kind. Pure but for schemas only the backend has (introspection, reflection). */
export function loadSource(config: SourceConfig): Promise<LoadedSource> {
  return sourceKindOf(config).load(config) as Promise<LoadedSource>;
}

/** Converts every source in parallel and reports every broken spec at once. */
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
  return loaded;
}
