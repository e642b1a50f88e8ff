import { Subschema } from '@graphql-tools/delegate';
import { stitchSchemas } from '@graphql-tools/stitch';
import type { IResolvers } from '@graphql-tools/utils';
import { GraphQLList, GraphQLNonNull, buildSchema, extendSchema, isListType, isNonNullType, responsePathAsArray, type DocumentNode, type GraphQLOutputType, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { ConfigInvalidError, StitchFailedError } from '../errors.js';
import type { GraphqlSource } from '../sources/graphql/index.js';
import { createRemoteExecutor } from './remote-executor.js';
import { createLocalLinkResolver, createRemoteLinkResolver, type LinkFieldConfig } from './link-resolvers.js';
import { batchMatchOf, parentPathIsList } from './link-batch.js';
import { validateLinks, type ParsedLinks } from './links.js';
import { requestStateOf } from '../request/state.js';
import type { SourceRuntime } from './source-runtime.js';

export interface BuildSchemaInput {
  readonly sources: readonly SourceRuntime[];
  readonly links?: { readonly file: string; readonly parsed: ParsedLinks } | undefined;
  /** Default for sources without `maxBatchSize`. */
  readonly defaultMaxBatchSize: number;
}

function isRemote(source: SourceRuntime): source is SourceRuntime & { converted: GraphqlSource } {
  return source.converted.kind === 'graphql';
}

/**
 * In-process sources (REST, gRPC) contribute their SDL and resolvers that call the pipeline directly, so a
 * query runs one GraphQL execution, not one in the gateway and another per subschema. Remote GraphQL
 * services stay delegated subschemas. Links become resolvers on the extended types.
 */
export function buildGatewaySchema(input: BuildSchemaInput): GraphQLSchema {
  const local = input.sources.filter((s) => !isRemote(s));
  const remote = input.sources.filter(isRemote);
  const subschemas = new Map<string, Subschema>(remote.map((s) => [s.name, remoteSubschema(s)]));
  const typeDefs: (string | DocumentNode)[] = local.map((s) => s.converted.typeDefs);
  // A source's own resolvers (the `__resolveType` of its unions) sit beside its root fields.
  const resolvers: IResolvers[] = local.flatMap((s) => (s.converted.resolvers ? [rootResolvers(s), s.converted.resolvers] : [rootResolvers(s)]));

  const stitch = (withLinks: boolean): GraphQLSchema => {
    try {
      return stitchSchemas({
        subschemas: [...subschemas.values()],
        typeDefs: withLinks && input.links ? [...typeDefs, input.links.parsed.typeDefs] : typeDefs,
        resolvers: withLinks ? [...resolvers, linkResolvers(input, subschemas, base, schemas)] : resolvers,
      });
    } catch (error) {
      throw new StitchFailedError('Cannot combine the sources into one schema', [
        { file: input.links?.file ?? '(sources)', at: '', message: error instanceof Error ? error.message : String(error) },
      ]);
    }
  };
  const base = stitch(false);
  if (!input.links) return base;

  const schemas = new Map<string, GraphQLSchema>(input.sources.map((s) => [s.name, subschemas.get(s.name)?.transformedSchema ?? buildSchema(s.converted.typeDefs)]));
  const problems = validateLinks(input.links.file, input.links.parsed.links, { schemas, merged: base });
  if (problems.length > 0) throw new ConfigInvalidError(`Links file ${input.links.file} is invalid`, problems);
  return stitch(true);
}

function rootResolvers(source: SourceRuntime): IResolvers {
  const byType: Record<string, Record<string, unknown>> = {};
  for (const operation of source.converted.operations.values()) {
    if (operation.rootType === 'Subscription') {
      (byType['Subscription'] ??= {})[operation.fieldName] = {
        subscribe: function subscribeSourceField(_parent: unknown, args: Record<string, unknown>, context: unknown, info: GraphQLResolveInfo) {
          return source.subscribe(operation, args, requestStateOf(context), responsePathAsArray(info.path));
        },
        resolve: (payload: unknown) => payload,
      };
      continue;
    }
    (byType[operation.rootType] ??= {})[operation.fieldName] = function resolveSourceField(_parent, args, context, info) {
      return source.call(operation, args, requestStateOf(context), responsePathAsArray(info.path));
    } satisfies GraphQLFieldResolver<unknown, unknown>;
  }
  return byType as IResolvers;
}

function remoteSubschema(source: SourceRuntime & { converted: GraphqlSource }): Subschema {
  return new Subschema({ name: source.name, schema: source.converted.schema, transforms: [...source.converted.transforms], executor: createRemoteExecutor(source, source.converted) });
}

/** A source's type as the gateway schema has it: the same wrappers around the gateway's type of that name. */
function inGateway(type: GraphQLOutputType, gateway: GraphQLSchema): GraphQLOutputType {
  if (isNonNullType(type)) return new GraphQLNonNull(inGateway(type.ofType, gateway) as GraphQLList<GraphQLOutputType>);
  if (isListType(type)) return new GraphQLList(inGateway(type.ofType, gateway));
  return (gateway.getType(type.name) as GraphQLOutputType | undefined) ?? type;
}

function linkResolvers(input: BuildSchemaInput, subschemas: ReadonlyMap<string, Subschema>, base: GraphQLSchema, schemas: ReadonlyMap<string, GraphQLSchema>): IResolvers {
  const out: Record<string, Record<string, LinkFieldConfig>> = {};
  const byName = new Map(input.sources.map((s) => [s.name, s]));
  const linksSdl = extendSchema(base, input.links!.parsed.typeDefs, { assumeValidSDL: true });
  const remoteTypes = new Set([...subschemas.values()].flatMap((s) => Object.keys(s.transformedSchema.getTypeMap())));
  for (const link of input.links!.parsed.links) {
    const target = byName.get(link.source)!;
    const subschema = subschemas.get(link.source);
    const parentIsRemote = remoteTypes.has(link.typeName);
    const parentType = linksSdl.getType(link.typeName) as GraphQLObjectType;
    const linkType = parentType.getFields()[link.fieldName]!.type;
    const targetType = inGateway(schemas.get(link.source)!.getQueryType()!.getFields()[link.targetField]!.type, linksSdl);
    const parentPath = Object.values(link.args).find((t) => t.kind === 'parent')?.path ?? [];
    const options = {
      maxBatchSize: target.config.maxBatchSize ?? input.defaultMaxBatchSize,
      parentIsRemote,
      match: batchMatchOf(targetType, linkType, parentPathIsList(parentType, parentPath)),
    };
    (out[link.typeName] ??= {})[link.fieldName] = subschema
      ? createRemoteLinkResolver(link, subschema, { ...options, target, targetType })
      : createLocalLinkResolver(link, target, linkType, options);
  }
  return out;
}

