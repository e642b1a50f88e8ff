import { batchDelegateToSchema } from '@graphql-tools/batch-delegate';
import type { MergedTypeConfig } from '@graphql-tools/delegate';
import { GraphQLList, Kind, getNamedType, getNullableType, isListType, isObjectType, type FieldNode, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import { parseSelectionSet } from '@graphql-tools/utils';
import { representationOf, type FederationEntity } from '../sources/graphql/index.js';
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
  options: {
    maxBatchSizeOf: (source: string) => number;
    isInProcess: (source: string) => boolean;
    /** Federation subgraphs' entities, by source: merged by their `@key` through `_entities`. */
    entities: ReadonlyMap<string, readonly FederationEntity[]>;
    /** A source's public name of one of its remote types (after `rename`). */
    publicTypeName: (source: string, typeName: string) => string;
  },
): MergePlan {
  const { maxBatchSizeOf } = options;
  const mergedTypes = new Set(merges.map((m) => m.typeName));
  const configs = new Map<string, Record<string, MergedTypeConfig>>();
  for (const [source, entities] of options.entities) {
    for (const entity of entities) {
      const typeName = options.publicTypeName(source, entity.typeName);
      mergedTypes.add(typeName);
      configs.set(source, { ...configs.get(source), [typeName]: entityEntry(entity, maxBatchSizeOf(source)) });
    }
  }
  const participants = new Set<string>();
  for (const [name, schema] of schemas) if ([...mergedTypes].some((type) => isObjectType(schema.getType(type)))) participants.add(name);
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

/**
 * An entity of a Federation subgraph: objects are sent as representations (`__typename` + the `@key` fields) to
 * `_entities`, batched, and come back in the order sent, as Federation requires of every subgraph.
 */
function entityEntry(entity: FederationEntity, maxBatchSize: number): MergedTypeConfig {
  const keySelection = parseSelectionSet(entity.keySelectionSet, { noLocation: true });
  const argsFromKeys = (representations: readonly unknown[]) => ({ representations: [...representations] });
  return {
    selectionSet: entity.keySelectionSet,
    fieldName: '_entities',
    key: (object: Record<string, unknown>) => representationOf(entity.typeName, keySelection, object),
    argsFromKeys,
    resolve: mergedFetch({ fieldName: '_entities', argsFromKeys, maxBatchSize }),
  };
}

function batchedEntry(merge: MergeSpec, argument: string, maxBatchSize: number): MergedTypeConfig {
  const link: LinkSpec = { typeName: merge.typeName, fieldName: `@merge(${merge.source})`, source: merge.source, targetField: merge.field, args: {}, key: merge.key, line: merge.line };
  const argsFromKeys = (keys: readonly unknown[]) => ({ [argument]: [...keys] });
  return {
    selectionSet: `{ ${merge.key} }`,
    key: (object: Record<string, unknown>) => object[merge.key],
    fieldName: merge.field,
    argsFromKeys,
    resolve: mergedFetch({
      fieldName: merge.field,
      argsFromKeys,
      maxBatchSize,
      keyField: { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: KEY_ALIAS }, name: { kind: Kind.NAME, value: merge.key } },
      valuesFromResults: (results, keys) => matchBatch(link, 'one', results, keys, (item) => item[KEY_ALIAS]),
    }),
  };
}

/**
 * A batched fetch of one source's share of merged objects, as stitching's own merged resolver makes it, with two
 * differences: the key can be read back under an alias (to match results by key rather than by position), and the
 * fetch, and any merging after it, is planned over the fields asked of this source only (`fieldNodes`), not over
 * the whole selection of the field the objects came from. Stitching asks for what a plain object from an in-process source lacks; planning
 * over the whole selection would fetch again, and overwrite, what that object already had.
 */
function mergedFetch(options: {
  fieldName: string;
  argsFromKeys: (keys: readonly unknown[]) => Record<string, unknown>;
  maxBatchSize: number;
  keyField?: FieldNode;
  valuesFromResults?: (results: unknown, keys: readonly unknown[]) => unknown[];
}): NonNullable<MergedTypeConfig['resolve']> {
  const prepared = new WeakMap<SelectionSetNode, { selectionSet: SelectionSetNode; fieldNodes: FieldNode[] }>();
  return function fetchMergedShare(_object, context, info, subschema, selectionSet, key, type, skipTypeMerging) {
    let request = prepared.get(selectionSet);
    if (!request) {
      // Every source's key of the type too, so a third source can be asked for its share of the result.
      const stitching = info.schema.extensions['stitchingInfo'] as { mergedTypes?: Record<string, { selectionSets: Map<unknown, SelectionSetNode> }> } | undefined;
      const keys = [...(stitching?.mergedTypes?.[getNamedType(type).name]?.selectionSets.values() ?? [])].flatMap((set) => set.selections);
      const own = { ...selectionSet, selections: [...selectionSet.selections, ...keys, ...(options.keyField ? [options.keyField] : [])] };
      request = { selectionSet: own, fieldNodes: info.fieldNodes.map((node) => ({ ...node, selectionSet: own })) };
      prepared.set(selectionSet, request);
    }
    return batchDelegateToSchema({
      schema: subschema,
      operation: 'query' as never,
      fieldName: options.fieldName,
      returnType: new GraphQLList(type),
      key,
      argsFromKeys: options.argsFromKeys,
      ...(options.valuesFromResults ? { valuesFromResults: options.valuesFromResults } : {}),
      selectionSet: request.selectionSet,
      fieldNodes: request.fieldNodes,
      context,
      // The same planning restriction for the merging that follows the fetch (a third source's fields).
      info: { ...info, fieldNodes: request.fieldNodes },
      skipTypeMerging: skipTypeMerging ?? true,
      dataLoaderOptions: { maxBatchSize: options.maxBatchSize },
    });
  };
}
