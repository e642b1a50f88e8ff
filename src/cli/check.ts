import { printSchema } from 'graphql';
import { loadConfigFile } from '../config/load.js';
import { createGeneration } from '../gateway/generation.js';
import { silentLogger } from '../observability/logger.js';
import type { GraphqlSource } from '../sources/graphql/index.js';
import { createMetrics } from '../observability/metrics.js';

/**
 * `interchange check --config FILE [--print-schema]`: validates the config, converts every source, stitches
 * them and reports what each source exposes and what was simplified. Opens no backend connection (a remote
 * GraphQL source without an SDL file is introspected, the one exception).
 */
export async function runCheck(options: { config: string; printSchema: boolean }): Promise<number> {
  const config = loadConfigFile(options.config);
  await using generation = await createGeneration(config, { logger: silentLogger, metrics: createMetrics() });
  const out: string[] = [`${config.file}: OK, ${generation.sources.size} sources`];
  for (const { config: source, converted } of generation.loaded) {
    const fields = [...converted.operations.values()].filter((op) => op.fieldName !== '*');
    const byRoot = (root: string) => fields.filter((op) => op.rootType === root).length;
    const summary = source.kind === 'graphql' ? 'remote schema (delegated)' : `${byRoot('Query')} queries, ${byRoot('Mutation')} mutations, ${byRoot('Subscription')} subscriptions`;
    out.push(`  ${source.name} (${source.kind}): ${summary}`);
    for (const op of fields) out.push(`    ${`${op.rootType}.${op.fieldName}`.padEnd(36)} ← ${op.operationId}`);
    if (converted.kind === 'graphql') {
      const schema = (converted as GraphqlSource).schema;
      for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
        for (const field of Object.keys(root?.getFields() ?? {})) out.push(`    ${root!.name}.${field}`);
      }
    }
    // Every simplification or omission, with where it is in the spec.
    for (const note of converted.notes) out.push(`    note ${note.pointer}: ${note.message}`);
  }
  if (options.printSchema) out.push('', printSchema(generation.schema));
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
