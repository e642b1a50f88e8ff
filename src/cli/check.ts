import { printSchema } from 'graphql';
import { loadConfigFile } from '../config/load.js';
import { createGeneration } from '../gateway/generation.js';
import { sourceKindOf } from '../sources/registry.js';

/**
 * `interchange check --config FILE [--print-schema]`: validates the config, converts every source, stitches
 * them and reports what each source exposes and what was simplified. Opens no backend connection, except where
 * a kind can only get its schema from the backend (a remote GraphQL source without an SDL file, gRPC without a
 * .proto).
 */
export async function runCheck(options: { config: string; printSchema: boolean }): Promise<number> {
  const config = loadConfigFile(options.config);
  await using generation = await createGeneration(config);
  const out: string[] = [`${config.file}: OK, ${generation.sources.size} sources`];
  for (const { config: source, converted } of generation.loaded) {
    const { summary, fields } = sourceKindOf(source).describe(converted);
    out.push(`  ${source.name} (${source.kind}): ${summary}`);
    for (const field of fields) out.push(`    ${field}`);
    // Every simplification or omission, with where it is in the spec.
    for (const note of converted.notes) out.push(`    note ${note.pointer}: ${note.message}`);
  }
  if (options.printSchema) out.push('', printSchema(generation.schema));
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
