import { Subschema, defaultMergedResolver, type MergedTypeConfig } from '@graphql-tools/delegate';
import { stitchSchemas } from '@graphql-tools/stitch';
import type { IResolvers } from '@graphql-tools/utils';
import {
  GraphQLList,
  GraphQLNonNull,
  buildSchema,
  defaultFieldResolver,
  extendSchema,
  isListType,
  isNonNullType,
  isObjectType,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { ConfigInvalidError, StitchFailedError } from '../errors.js';
import { beginSubscriptionEvent, requestStateOf } from '../request/state.js';
import type { GraphqlSource } from '../sources/graphql/index.js';
import { batchMatchOf, parentPathIsList } from './link-batch.js';
import { createLocalLinkResolver, createRemoteLinkResolver, type LinkFieldConfig } from './link-resolvers.js';
import { validateLinks, validateMerges, type ParsedLinks } from './links.js';
import { createLocalSubschema, rootResolvers, sourceFieldResolver } from './local-subschema.js';
import { planMerges, type MergePlan } from './merged-types.js';
import { createRemoteExecutor } from './remote-executor.js';
import { createCoverageCheck, type CoverageCheck } from './selection-coverage.js';
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
 *
 * A type merged across sources (`@merge` in the links file) needs stitching's type merging, which works between
 * subschemas only: an in-process source serving a merged type is a subschema too (executed in-process, see
 * `createLocalSubschema`), but its root fields and the links to it keep the fast path unless a query asks, below
 * them, for a field another source adds (`createCoverageCheck`); only then are they delegated.
 */
export function buildGatewaySchema(input: BuildSchemaInput): GraphQLSchema {
  const schemas = new Map<string, GraphQLSchema>(input.sources.map((s) => [s.name, buildSchema(s.converted.typeDefs)]));
  const merges = input.links?.parsed.merges ?? [];
  if (input.links && merges.length > 0) {
    const problems = validateMerges(input.links.file, merges, schemas);
    if (problems.length > 0) throw new ConfigInvalidError(`Links file ${input.links.file} is invalid`, problems);
  }
  const plan = planMerges(merges, schemas, {
    maxBatchSizeOf: (name) => input.sources.find((s) => s.name === name)?.config.maxBatchSize ?? input.defaultMaxBatchSize,
    isInProcess: (name) => input.sources.some((s) => s.name === name && !isRemote(s)),
    entities: new Map(input.sources.filter(isRemote).map((s) => [s.name, s.converted.entities])),
    publicTypeName: (name, typeName) => input.sources.find((s) => s.name === name)?.config.rename?.[typeName] ?? typeName,
  });
  const linkFields = new Set((input.links?.parsed.links ?? []).map((l) => `${l.typeName}.${l.fieldName}`));
  const subschemas = new Map<string, Subschema>();
  const participants = new Map<string, CoverageCheck>();
  const typeDefs: (string | DocumentNode)[] = [];
  const resolvers: IResolvers[] = [];
  const localParticipants: Subschema[] = [];
  for (const source of input.sources) {
    const merge = plan.configFor(source.name);
    if (isRemote(source)) {
      subschemas.set(source.name, remoteSubschema(source, merge));
      continue;
    }
    // A source's own resolvers (the `__resolveType` of its unions) sit beside its root fields.
    if (source.converted.resolvers) resolvers.push(source.converted.resolvers);
    if (!plan.participants.has(source.name)) {
      typeDefs.push(source.converted.typeDefs);
      resolvers.push(rootResolvers(source));
      continue;
    }
    localParticipants.push(createLocalSubschema(source, merge));
    participants.set(source.name, createCoverageCheck(schemas.get(source.name)!, linkFields));
    // Root fields keep stitching's proxying resolvers here; keepFastPaths puts the direct ones in front of them.
    resolvers.push(ownMergedFields(source, plan, schemas));
  }
  // Stitching sends the fields a plain object lacks to the first source whose key it satisfies: in-process
  // sources' objects never lack their own fields, so the remote ones come first.
  for (const subschema of localParticipants) subschemas.set(subschema.name!, subschema);

  const stitch = (withLinks: boolean): GraphQLSchema => {
    try {
      const links = withLinks ? linkResolvers(input, subschemas, base, schemas) : {};
      const schema = stitchSchemas({
        subschemas: [...subschemas.values()],
        typeDefs: withLinks && input.links ? [...typeDefs, input.links.parsed.typeDefs] : typeDefs,
        resolvers: [...resolvers, links],
      });
      keepFastPaths(schema, input, participants, links);
      return schema;
    } catch (error) {
      throw new StitchFailedError('Cannot combine the sources into one schema', [
        { file: input.links?.file ?? '(sources)', at: '', message: error instanceof Error ? error.message : String(error) },
      ]);
    }
  };
  const base = stitch(false);
  if (!input.links) return eachEventOnItsOwn(base);

  const problems = validateLinks(input.links.file, input.links.parsed.links, { schemas, merged: base });
  if (problems.length > 0) throw new ConfigInvalidError(`Links file ${input.links.file} is invalid`, problems);
  return eachEventOnItsOwn(stitch(true));
}

/**
 * graphql-js resolves a subscription's root field once per event, with the event as its parent: there, before
 * anything below it runs, the event gets the per-request state of a request of its own (memo, link loaders and
 * limiters, time budget), whatever kind of source streams it.
 */
function eachEventOnItsOwn(schema: GraphQLSchema): GraphQLSchema {
  for (const field of Object.values(schema.getSubscriptionType()?.getFields() ?? {})) {
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = function resolveSubscriptionEvent(event, args, context, info) {
      beginSubscriptionEvent(requestStateOf(context));
      return resolve(event, args, context, info);
    };
  }
  return schema;
}

/**
 * An in-process source that serves a merged type keeps its fast path: its root fields and the links to it call the
 * pipeline directly unless the query asks, below them, for a field another source adds. Only then does a root
 * field take stitching's proxying resolver (a delegation to the source's local subschema, whose answer stitching
 * completes from the other sources, nested objects too), and a link returning a merged type stitching's wrapper
 * (which completes the plain objects it returned). Unconditionally, that wrapper would also take an optional field
 * the backend left out for missing and fetch it elsewhere.
 */
function keepFastPaths(schema: GraphQLSchema, input: BuildSchemaInput, participants: ReadonlyMap<string, CoverageCheck>, links: IResolvers): void {
  const byName = new Map(input.sources.map((s) => [s.name, s]));
  const own: [type: string, field: string, source: string, resolve: GraphQLFieldResolver<unknown, unknown>][] = [];
  for (const [name] of participants) {
    for (const operation of byName.get(name)!.converted.operations.values()) {
      if (operation.rootType !== 'Subscription') own.push([operation.rootType, operation.fieldName, name, sourceFieldResolver(byName.get(name)!, operation)]);
    }
  }
  for (const link of input.links?.parsed.links ?? []) {
    if (!participants.has(link.source)) continue;
    const config = (links as Record<string, Record<string, LinkFieldConfig>>)[link.typeName]?.[link.fieldName];
    if (config) own.push([link.typeName, link.fieldName, link.source, config.resolve]);
  }
  for (const [typeName, fieldName, source, direct] of own) {
    const field = (schema.getType(typeName) as GraphQLObjectType | undefined)?.getFields()[fieldName];
    const merging = field?.resolve;
    if (!field || !merging) continue;
    const needsOtherSources = participants.get(source)!;
    field.resolve = function resolveOnFastPath(parent, args, context, info) {
      return (needsOtherSources(info) ? merging : direct)(parent, args, context, info);
    };
  }
}

/**
 * The fields an in-process source serves of each merged type, as resolvers of their own (stitching's default
 * one): stitching then counts them as provided and never fetches them elsewhere for that source's objects. Only
 * where one in-process source serves the type, as it would otherwise hide the other's fields.
 */
function ownMergedFields(source: SourceRuntime, plan: MergePlan, schemas: ReadonlyMap<string, GraphQLSchema>): IResolvers {
  const out: Record<string, Record<string, unknown>> = {};
  const schema = schemas.get(source.name)!;
  for (const typeName of plan.mergedTypes) {
    const type = schema.getType(typeName);
    if (!isObjectType(type) || plan.inProcessServers(typeName) !== 1) continue;
    out[typeName] = Object.fromEntries(Object.keys(type.getFields()).map((field) => [field, defaultMergedResolver]));
  }
  return out as IResolvers;
}

function remoteSubschema(source: SourceRuntime & { converted: GraphqlSource }, merge: Record<string, MergedTypeConfig> | undefined): Subschema {
  return new Subschema({
    name: source.name,
    schema: source.converted.schema,
    transforms: [...source.converted.transforms],
    executor: createRemoteExecutor(source, source.converted),
    ...(merge ? { merge } : {}),
  });
}

/** A source's type as the gateway schema has it: the same wrappers around the gateway's type of that name. */
function inGateway(type: GraphQLOutputType, gateway: GraphQLSchema): GraphQLOutputType {
  if (isNonNullType(type)) return new GraphQLNonNull(inGateway(type.ofType, gateway) as GraphQLList<GraphQLOutputType>);
  if (isListType(type)) return new GraphQLList(inGateway(type.ofType, gateway));
  return (gateway.getType(type.name) as GraphQLOutputType | undefined) ?? type;
}

/** Link fields: in-process targets are called through their pipeline; remote ones delegated to. */
function linkResolvers(input: BuildSchemaInput, subschemas: ReadonlyMap<string, Subschema>, base: GraphQLSchema, schemas: ReadonlyMap<string, GraphQLSchema>): IResolvers {
  const out: Record<string, Record<string, LinkFieldConfig>> = {};
  const byName = new Map(input.sources.map((s) => [s.name, s]));
  const linksSdl = extendSchema(base, input.links!.parsed.typeDefs, { assumeValidSDL: true });
  const delegatedTypes = new Set([...subschemas.values()].flatMap((s) => Object.keys(s.transformedSchema.getTypeMap())));
  const remote = new Set(input.sources.filter(isRemote).map((s) => s.name));
  for (const link of input.links!.parsed.links) {
    const target = byName.get(link.source)!;
    const subschema = remote.has(link.source) ? subschemas.get(link.source) : undefined;
    const parentType = linksSdl.getType(link.typeName) as GraphQLObjectType;
    const linkType = parentType.getFields()[link.fieldName]!.type;
    const targetType = inGateway(schemas.get(link.source)!.getQueryType()!.getFields()[link.targetField]!.type, linksSdl);
    const parentPath = Object.values(link.args).find((t) => t.kind === 'parent')?.path ?? [];
    const options = {
      maxBatchSize: target.config.maxBatchSize ?? input.defaultMaxBatchSize,
      parentIsRemote: delegatedTypes.has(link.typeName),
      match: batchMatchOf(targetType, linkType, parentPathIsList(parentType, parentPath)),
    };
    const config = subschema ? createRemoteLinkResolver(link, subschema, { ...options, target, targetType }) : createLocalLinkResolver(link, target, linkType, options);
    (out[link.typeName] ??= {})[link.fieldName] = config;
  }
  return out;
}
