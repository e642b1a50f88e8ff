import { Subschema, type MergedTypeConfig } from '@graphql-tools/delegate';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { IResolvers } from '@graphql-tools/utils';
import { execute, responsePathAsArray, subscribe, type GraphQLFieldResolver, type GraphQLResolveInfo } from 'graphql';
import { requestStateOf } from '../request/state.js';
import type { OperationSpec } from '../sources/types.js';
import type { SourceRuntime } from './source-runtime.js';

/**
 * Where in the gateway's response a local subschema's execution lands: its own execution starts at the root, so
 * the stale marker of its calls takes the gateway path from the root value instead.
 */
const GATEWAY_PATH = Symbol('interchange.gatewayPath');

function pathOf(parent: unknown, info: GraphQLResolveInfo): readonly (string | number)[] {
  const gateway = (parent as { [GATEWAY_PATH]?: readonly (string | number)[] } | undefined)?.[GATEWAY_PATH];
  return gateway ?? responsePathAsArray(info.path);
}

/** The resolver of one root field of an in-process source: the operation through the source's pipeline. */
export function sourceFieldResolver(source: SourceRuntime, operation: OperationSpec): GraphQLFieldResolver<unknown, unknown> {
  return function resolveSourceField(parent, args, context, info) {
    return source.call(operation, args, requestStateOf(context), pathOf(parent, info));
  };
}

/** Root field resolvers of an in-process source (REST, gRPC): each calls the pipeline directly. */
export function rootResolvers(source: SourceRuntime): IResolvers {
  const byType: Record<string, Record<string, unknown>> = {};
  for (const operation of source.converted.operations.values()) {
    if (operation.rootType === 'Subscription') {
      (byType['Subscription'] ??= {})[operation.fieldName] = {
        subscribe: function subscribeSourceField(parent: unknown, args: Record<string, unknown>, context: unknown, info: GraphQLResolveInfo) {
          return source.subscribe(operation, args, requestStateOf(context), pathOf(parent, info));
        },
        resolve: (payload: unknown) => payload,
      };
      continue;
    }
    (byType[operation.rootType] ??= {})[operation.fieldName] = sourceFieldResolver(source, operation);
  }
  return byType as IResolvers;
}

/**
 * An in-process source as a stitching subschema, for the sources that take part in a merged type: stitching can
 * only merge types of subschemas. Its executor runs the delegated document in-process against the source's own
 * executable schema (no printing, no HTTP), whose root resolvers call the pipeline as usual.
 */
export function createLocalSubschema(source: SourceRuntime, merge: Record<string, MergedTypeConfig> | undefined): Subschema {
  const resolvers = source.converted.resolvers ? [rootResolvers(source), source.converted.resolvers] : [rootResolvers(source)];
  const schema = makeExecutableSchema({ typeDefs: source.converted.typeDefs, resolvers });
  return new Subschema({
    name: source.name,
    schema,
    ...(merge ? { merge } : {}),
    executor: function executeLocally(request) {
      const rootValue = { [GATEWAY_PATH]: request.info ? responsePathAsArray(request.info.path) : undefined };
      const args = { schema, document: request.document, variableValues: request.variables, contextValue: request.context, rootValue, operationName: request.operationName };
      return (request.operationType === 'subscription' ? subscribe(args) : execute(args)) as never;
    },
  });
}
