import { z } from 'zod';
import { graphqlSource } from './graphql/index.js';
import { grpcSource } from './grpc/index.js';
import type { SourceKind } from './kind.js';
import { openapiSource } from './openapi/index.js';

/**
 * Every kind of source the gateway knows. The config schema, config checks, loading and `check` iterate over
 * this list: a new kind (SOAP, Kafka, a database) is a folder under `sources/` exporting a `SourceKind` and one
 * line here.
 */
export const SOURCE_KINDS = [openapiSource, grpcSource, graphqlSource] as const;

/** One `sources:` entry, whichever its kind. */
export type SourceConfig = z.infer<(typeof SOURCE_KINDS)[number]['configSchema']>;

export type SourceKindName = SourceConfig['kind'];

/** The `sources:` entry schema: a union discriminated by `kind`. */
export const sourceConfigSchema = z.discriminatedUnion(
  'kind',
  SOURCE_KINDS.map((k) => k.configSchema) as unknown as [(typeof SOURCE_KINDS)[0]['configSchema'], ...(typeof SOURCE_KINDS)[number]['configSchema'][]],
);

const byName = new Map<string, SourceKind>(SOURCE_KINDS.map((k) => [k.kind, k as unknown as SourceKind]));

/** The definition of a config entry's kind. The config schema only admits registered kinds, so this never misses. */
export function sourceKindOf(config: { readonly kind: string }): SourceKind {
  const kind = byName.get(config.kind);
  if (!kind) throw new Error(`unknown source kind "${config.kind}" (known: ${[...byName.keys()].join(', ')})`);
  return kind;
}

export const SOURCE_KIND_NAMES: readonly string[] = SOURCE_KINDS.map((k) => k.kind);
