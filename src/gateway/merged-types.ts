import { batchDelegateToSchema } from '@graphql-tools/batch-delegate';
import type { MergedTypeConfig } from '@graphql-tools/delegate';
import { GraphQLList, Kind, getNullableType, isListType, isObjectType, type FieldNode, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import { matchBatch } from './link-batch.js';
import type { LinkSpec, MergeSpec } from './links.js';

/** The alias under which a merged fetch reads back the key of every object it returns. */
const KEY_ALIAS = '_interchange_key';

/** Which sources take part in merged types, and the stitching merge config each one gets. */
export interface MergePlan {
  /** Sources whose schema has a merged type: they must be subschemas, even in-process ones. */
  readonly participants: ReadonlySet<string>;
  readonly mergedTypes: ReadonlySet<string>;
  /** How many in-process sources serve a merged type. */
  inProcessServers(typeName: string): number;
  /** Stitching's `merge` config of one source: how to fetch its share of each merged type it serves. */
  configFor(source: string): Record<string, MergedTypeConfig> | undefined;
}

/**
 * Turns the links file's `@merge` directives into stitching's type merging. A fetch with a list argument is
 * batched by @graphql-tools/batch-delegate (one call per level per `maxBatchSize` chunk) and its results are
 * matched back by the key, read under an alias the fetch adds, so an object the source did not return becomes
 * `LINK_KEY_MISSING` for that object only; a fetch with a scalar argument is one call per object.
 */
export function planMerges(
  merges: readonly MergeSpec[],
  schemas: ReadonlyMap<string, GraphQLSchema>,
  options: { maxBatchSizeOf: (source: string) => number; isInProcess: (source: string) => boolean },
): MergePlan {
  const { maxBatchSizeOf } = options;
  const mergedTypes = new Set(merges.map((m) => m.typeName));
  const participants = new Set<string>();
  for (const [name, schema] of schemas) if ([...mergedTypes].some((type) => isObjectType(schema.getType(type)))) participants.add(name);
  const configs = new Map<string, Record<string, MergedTypeConfig>>();
  for (const merge of merges) {
    const field = schemas.get(merge.source)!.getQueryType()!.getFields()[merge.field]!;
    const argument = field.args.find((a) => (merge.argument === undefined ? String(a.type).endsWith('!') && a.defaultValue === undefined : a.name === merge.argument))!;
    const entry: MergedTypeConfig = isListType(getNullableType(argument.type))
      ? batchedEntry(merge, argument.name, maxBatchSizeOf(merge.source))
      : { selectionSet: `{ ${merge.key} }`, fieldName: merge.field, args: (object: Record<string, unknown>) => ({ [argument.name]: object[merge.key] }) };
    configs.set(merge.source, { ...configs.get(merge.source), [merge.typeName]: entry });
  }
  return {
    participants,
    mergedTypes,
    inProcessServers: (typeName) => [...participants].filter((name) => options.isInProcess(name) && isObjectType(schemas.get(name)!.getType(typeName))).length,
    configFor: (source) => configs.get(source),
  };
}

function batchedEntry(merge: MergeSpec, argument: string, maxBatchSize: number): MergedTypeConfig {
  const link: LinkSpec = { typeName: merge.typeName, fieldName: `@merge(${merge.source})`, source: merge.source, targetField: merge.field, args: {}, key: merge.key, line: merge.line };
  const keyField: FieldNode = { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: KEY_ALIAS }, name: { kind: Kind.NAME, value: merge.key } };
  const withKey = new WeakMap<SelectionSetNode, SelectionSetNode>();
  return {
    selectionSet: `{ ${merge.key} }`,
    key: (object: Record<string, unknown>) => object[merge.key],
    fieldName: merge.field,
    argsFromKeys: (keys) => ({ [argument]: keys }),
    resolve(_object, context, info, subschema, selectionSet, key, type) {
      let selection = withKey.get(selectionSet);
      if (!selection) {
        selection = { ...selectionSet, selections: [...selectionSet.selections, keyField] };
        withKey.set(selectionSet, selection);
      }
      return batchDelegateToSchema({
        schema: subschema,
        operation: 'query' as never,
        fieldName: merge.field,
        returnType: new GraphQLList(type),
        key,
        argsFromKeys: (keys: readonly unknown[]) => ({ [argument]: [...keys] }),
        valuesFromResults: (results: unknown, keys: readonly unknown[]) => matchBatch(link, 'one', results, keys, (item) => item[KEY_ALIAS]),
        selectionSet: selection,
        context,
        info,
        skipTypeMerging: true,
        dataLoaderOptions: { maxBatchSize },
      });
    },
  };
}
