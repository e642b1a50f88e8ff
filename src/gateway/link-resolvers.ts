import DataLoader from 'dataloader';
import pLimit from 'p-limit';
import { batchDelegateToSchema } from '@graphql-tools/batch-delegate';
import { delegateToSchema, resolveExternalValue, type SubschemaConfig } from '@graphql-tools/delegate';
import { GraphQLError, Kind, getNamedType, getNullableType, isListType, responsePathAsArray, type FieldNode, type GraphQLFieldResolver, type GraphQLOutputType, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { OperationSpec } from '../sources/types.js';
import { matchBatch, type BatchMatch } from './link-batch.js';
import { markBatchPath } from './remote-executor.js';
import type { ArgTemplate, LinkSpec } from './links.js';
import { requestStateOf, type RequestState } from '../request/state.js';
import type { SourceRuntime } from './source-runtime.js';

/**
 * A stitching resolver. `selectionSet` makes the parent's subschema fetch the fields the link reads; it is set
 * only when the parent type comes from a remote GraphQL source. In-process sources return whole objects, and a
 * selectionSet would make stitching treat the type as merged and wrap every resolver returning it.
 */
export interface LinkFieldConfig {
  selectionSet?: string;
  resolve: GraphQLFieldResolver<unknown, unknown>;
}

export interface LinkResolverOptions {
  /** Largest list a batched link sends in one call. Default 100. */
  maxBatchSize: number;
  /** The parent type comes from a remote GraphQL source, which returns only the fields asked for. */
  parentIsRemote: boolean;
  /** How a batched link's results are matched back to its keys (see `BatchMatch`). Default `one`. */
  match?: BatchMatch;
}

function readPath(parent: unknown, path: readonly string[]): unknown {
  let value: unknown = parent;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function selectionSetFor(templates: Readonly<Record<string, ArgTemplate>>): string {
  const paths = Object.values(templates).flatMap((t) => (t.kind === 'parent' ? [t.path] : []));
  const nest = (path: readonly string[]): string => (path.length === 1 ? path[0]! : `${path[0]} { ${nest(path.slice(1))} }`);
  return `{ ${paths.map(nest).join(' ')} }`;
}

/** Arguments for the target field from the parent; undefined when a value read from the parent is missing. */
function buildArgs(link: LinkSpec, parent: unknown): Record<string, unknown> | undefined {
  const args: Record<string, unknown> = {};
  for (const [name, template] of Object.entries(link.args)) {
    const value = template.kind === 'parent' ? readPath(parent, template.path) : template.value;
    if (template.kind === 'parent' && (value === undefined || value === null)) return undefined;
    args[name] = value;
  }
  return args;
}

/** One link to an in-process source (REST, gRPC): the target operation is called through its pipeline. */
export function createLocalLinkResolver(link: LinkSpec, target: SourceRuntime, returnType: GraphQLOutputType, options: LinkResolverOptions): LinkFieldConfig {
  const operation = target.converted.operations.get(`Query.${link.targetField}`);
  if (!operation) throw new Error(`link ${link.typeName}.${link.fieldName}: ${link.source} has no Query.${link.targetField}`);
  const selectionSet = options.parentIsRemote ? { selectionSet: selectionSetFor(link.args) } : {};
  if (link.key === undefined) {
    return {
      ...selectionSet,
      resolve: function resolveLink(parent, _args, context, info) {
        const args = buildArgs(link, parent);
        if (!args) return null;
        const state = requestStateOf(context);
        const path = responsePathAsArray(info.path);
        return target.call(operation, args, state, path, limiterFor(state, target));
      },
    };
  }
  return { ...selectionSet, resolve: createBatchedResolver(link, link.key, target, operation, returnType, options) };
}

/** Most calls one request has in flight to a source through unbatched links, unless the source says otherwise. */
export const DEFAULT_MAX_CONCURRENCY = 16;

/**
 * Without a batch operation, a link makes one call per parent; a list of 200 parents must not become 200
 * simultaneous calls to one backend, so they queue per request and target source.
 */
function limiterFor(state: RequestState, target: SourceRuntime) {
  let limit = state.limiters.get(target.name);
  if (!limit) {
    const limited = pLimit(target.config.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY);
    limit = <T>(run: () => Promise<T>) => limited(run);
    state.limiters.set(target.name, limit);
  }
  return limit;
}

/**
 * A batched link: the values every parent of one level reads are collected by a per-request DataLoader and
 * sent as one list argument; results are matched back by `key`, so a missing item becomes null plus an error
 * in its own place and never shifts the list.
 */
function createBatchedResolver(
  link: LinkSpec,
  key: string,
  target: SourceRuntime,
  operation: OperationSpec,
  returnType: GraphQLOutputType,
  options: LinkResolverOptions,
): GraphQLFieldResolver<unknown, unknown> {
  const [listArg, template] = Object.entries(link.args).find(([, t]) => t.kind === 'parent')!;
  const literalArgs = Object.fromEntries(Object.entries(link.args).flatMap(([name, t]) => (t.kind === 'literal' ? [[name, t.value]] : [])));
  const returnsList = isListType(getNullableType(returnType));
  const match = options.match ?? 'one';
  const loaderId = `${link.typeName}.${link.fieldName}`;

  function loaderFor(state: RequestState, path: readonly (string | number)[]): DataLoader<string, unknown> {
    let loader = state.loaders.get(loaderId) as DataLoader<string, unknown> | undefined;
    if (!loader) {
      loader = new DataLoader<string, unknown>(
        async function loadBatch(keys) {
          // The stale marker names the link field; the batch serves all its parents, so the path stops at the list.
          const batchPath = path.filter((p) => typeof p === 'string');
          const result = await target.call(operation, { ...literalArgs, [listArg]: [...keys] }, state, batchPath);
          return matchBatch(link, match, result, keys, (item) => item[key]);
        },
        { maxBatchSize: options.maxBatchSize },
      );
      state.loaders.set(loaderId, loader);
    }
    return loader;
  }

  return async function resolveBatchedLink(parent, _args, context, info) {
    const value = template.kind === 'parent' ? readPath(parent, template.path) : undefined;
    if (value === undefined || value === null) return null;
    const loader = loaderFor(requestStateOf(context), responsePathAsArray(info.path));
    if (Array.isArray(value)) return oneErrorForFailedBatch(await loader.loadMany(value.map(String)), returnsList);
    return loader.load(String(value));
  };
}

/** A failed batch call rejects every key with the same error: that is one error for the field, not one per item. */
function oneErrorForFailedBatch(items: readonly unknown[], returnsList: boolean): unknown {
  const first = items[0];
  if (first instanceof Error && !isMissingKey(first) && items.every((item) => item === first)) throw first;
  return returnsList ? items : (items[0] ?? null);
}

function isMissingKey(error: Error): boolean {
  return error instanceof GraphQLError && error.extensions['code'] === 'LINK_KEY_MISSING';
}

export interface RemoteLinkOptions extends LinkResolverOptions {
  /** The source the link calls: its `maxConcurrency` limits unbatched calls per request. */
  target: SourceRuntime;
  /** The target field's type in the gateway schema: what a batched call returns. */
  targetType: GraphQLOutputType;
}

/**
 * One link to a delegated source (a remote GraphQL service): only the selected fields are fetched. Without `key`,
 * one delegation per parent, queued by the target's `maxConcurrency`; with `key`, batched by
 * @graphql-tools/batch-delegate (a DataLoader per request and selection), which fits: it collects a level's keys,
 * sends one call per `maxBatchSize` chunk and lets us match results back by key. The key field is fetched under an
 * alias of the link's own (`_interchange_Type_field`), so matching never depends on the client's selection, and
 * two links to the same field with different matching never share a loader.
 */
export function createRemoteLinkResolver(link: LinkSpec, subschema: SubschemaConfig, options: RemoteLinkOptions): LinkFieldConfig {
  const selectionSet = options.parentIsRemote ? { selectionSet: selectionSetFor(link.args) } : {};
  if (link.key === undefined) {
    return {
      ...selectionSet,
      resolve: function resolveRemoteLink(parent, _args, context, info) {
        const args = buildArgs(link, parent);
        if (!args) return null;
        const delegate = () =>
          Promise.resolve(delegateToSchema({ schema: subschema, operation: 'query' as never, fieldName: link.targetField, args, context: context as Record<string, unknown>, info }));
        return limiterFor(requestStateOf(context), options.target)(delegate);
      },
    };
  }
  const key = link.key;
  const [listArg, template] = Object.entries(link.args).find(([, t]) => t.kind === 'parent')!;
  const literalArgs = Object.fromEntries(Object.entries(link.args).flatMap(([name, t]) => (t.kind === 'literal' ? [[name, t.value]] : [])));
  const match = options.match ?? 'one';
  const alias = `_interchange_${link.typeName}_${link.fieldName}`;
  const requests = new WeakMap<readonly FieldNode[], { selectionSet: SelectionSetNode; fieldNodes: FieldNode[] }>();

  /**
   * The client's selection of the link field plus the key field under the link's alias, as the selection set and
   * as the field nodes the delegation plans with (stitching plans a merged type's fetches from the field nodes).
   */
  function requestWithKey(info: GraphQLResolveInfo): { selectionSet: SelectionSetNode; fieldNodes: FieldNode[] } {
    let request = requests.get(info.fieldNodes);
    if (!request) {
      const keyField: FieldNode = { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: alias }, name: { kind: Kind.NAME, value: key } };
      const own = info.fieldNodes.flatMap((node) => node.selectionSet?.selections ?? []);
      const selectionSet: SelectionSetNode = { kind: Kind.SELECTION_SET, selections: match === 'position' ? own : [...own, keyField] };
      request = { selectionSet, fieldNodes: info.fieldNodes.map((node) => ({ ...node, selectionSet })) };
      requests.set(info.fieldNodes, request);
    }
    return request;
  }

  return {
    ...selectionSet,
    resolve: async function resolveBatchedRemoteLink(parent, _args, context, info) {
      const value = template.kind === 'parent' ? readPath(parent, template.path) : undefined;
      if (value === undefined || value === null) return null;
      const request = requestWithKey(info);
      const result = await batchDelegateToSchema({
        schema: subschema,
        operation: 'query' as never,
        fieldName: link.targetField,
        key: value,
        selectionSet: request.selectionSet,
        fieldNodes: request.fieldNodes,
        returnType: options.targetType,
        context: context as Record<string, unknown>,
        info: { ...info, fieldNodes: request.fieldNodes },
        // Matched first, merged after (below): stitching's merging inside the batch loses the objects of a merged type.
        skipTypeMerging: true,
        argsFromKeys: (keys: readonly unknown[]) => ({ ...literalArgs, [listArg]: [...keys] }),
        valuesFromResults: (results: unknown, keys: readonly unknown[]) => matchBatch(link, match, results, keys, (item) => item[alias]),
        lazyOptionsFn: (batchOptions) => {
          // The stale marker names the link field: the batch serves all its parents, so the path stops at the list.
          markBatchPath(batchOptions.info, responsePathAsArray(batchOptions.info.path).filter((p) => typeof p === 'string'));
          return batchOptions;
        },
        dataLoaderOptions: { maxBatchSize: options.maxBatchSize },
      });
      const matched = Array.isArray(value) ? oneErrorForFailedBatch(result as unknown[], isListType(getNullableType(info.returnType))) : result;
      return isMergedType(info) ? resolveExternalValue(matched, [], subschema, context as Record<string, unknown>, info, info.returnType) : matched;
    },
  };
}

/** The link returns a type several sources serve: its objects are completed from the others by stitching. */
function isMergedType(info: GraphQLResolveInfo): boolean {
  const stitching = info.schema.extensions['stitchingInfo'] as { mergedTypes?: Record<string, unknown> } | undefined;
  return stitching?.mergedTypes?.[getNamedType(info.returnType).name] !== undefined;
}
