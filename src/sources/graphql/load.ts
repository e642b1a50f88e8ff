import { readFileSync } from 'node:fs';
import { Subschema, type Transform } from '@graphql-tools/delegate';
import { FilterRootFields, FilterTypes, RenameRootFields, RenameTypes } from '@graphql-tools/wrap';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  printSchema,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { SpecInvalidError } from '../../errors.js';
import type { ConfigKeyProblem } from '../kind.js';
import type { ConvertedSource, OperationSpec, RootTypeName, Transport } from '../types.js';
import { FEDERATION_ROOT_FIELDS, SERVICE_SDL_QUERY, readSubgraphSchema, type FederationEntity } from './federation.js';
import { createGraphqlTransport, type GraphqlTransportOptions } from './transport.js';

export interface GraphqlSourceOptions {
  name: string;
  /** SDL file of the remote schema; when absent the schema is introspected from `endpoint`. */
  schemaFile?: string | undefined;
  endpoint: string;
  headers?: Readonly<Record<string, string>>;
  /** Milliseconds the introspection may take. Default 10000. */
  timeoutMs?: number;
  /** Remote root field or type name → public name. Default none. */
  rename?: Readonly<Record<string, string>> | undefined;
  /** Remote root fields and types left out. Default none. */
  exclude?: readonly string[] | undefined;
  /** An Apollo Federation subgraph: the SDL comes from `_service { sdl }` (or the file) and declares entities. Default false. */
  federation?: boolean | undefined;
  /** The remote SDL saved from an earlier fetch (`fetchedSdl`), used instead of asking the endpoint. Default: ask it. */
  snapshotSdl?: string | undefined;
}

export interface GraphqlSource extends ConvertedSource {
  /** The remote schema as the service has it: what delegated documents are written against. */
  readonly schema: GraphQLSchema;
  /** `rename` and `exclude` as stitching transforms, between the remote schema and the public one. */
  readonly transforms: readonly Transform[];
  /**
   * Each remote root field's operation, keyed `Query.reviewsByProduct` by the remote name: a delegated document
   * is sent as one source call per root field, so each has its own cache entries, timeout and metrics label.
   */
  readonly operationByRemoteField: ReadonlyMap<string, OperationSpec>;
  /** `rename`/`exclude` keys that name nothing in the remote schema. */
  readonly configProblems: readonly ConfigKeyProblem[];
  /** A Federation subgraph's entities (by their remote type name), fetched by key through `_entities`; else none. */
  readonly entities: readonly FederationEntity[];
  /** The remote SDL when it was fetched from the endpoint (introspection, `_service`), for a snapshot. */
  readonly fetchedSdl?: string;
}

const ROOT_TYPES: readonly RootTypeName[] = ['Query', 'Mutation', 'Subscription'];

/** Loads a remote service's schema from an SDL file or, failing that, by introspection (the one load-time network call). */
export async function loadGraphqlSource(options: GraphqlSourceOptions): Promise<GraphqlSource> {
  const fetches = !options.schemaFile && options.snapshotSdl === undefined;
  if (options.federation) {
    const sdl = options.schemaFile
      ? readFile(options.schemaFile)
      : (options.snapshotSdl ?? (await queryAtLoad<{ _service: { sdl: string } }>(options, SERVICE_SDL_QUERY, '_service.sdl'))._service.sdl);
    let subgraph: ReturnType<typeof readSubgraphSchema>;
    try {
      subgraph = readSubgraphSchema(sdl);
    } catch (error) {
      const file = options.schemaFile ?? options.endpoint;
      throw new SpecInvalidError(`Cannot read the subgraph SDL of "${options.name}"`, [{ file, at: options.schemaFile ? '' : '_service.sdl', message: error instanceof Error ? error.message : String(error) }]);
    }
    return { ...convertRemoteSchema(options.name, subgraph.schema, options, FEDERATION_ROOT_FIELDS), entities: subgraph.entities, ...(fetches ? { fetchedSdl: sdl } : {}) };
  }
  if (options.snapshotSdl !== undefined) return convertRemoteSchema(options.name, buildSnapshotSchema(options.name, options.snapshotSdl), options);
  const schema = options.schemaFile ? readSchemaFile(options.schemaFile) : await introspect(options);
  return { ...convertRemoteSchema(options.name, schema, options), ...(fetches ? { fetchedSdl: printSchema(schema) } : {}) };
}

function buildSnapshotSchema(name: string, sdl: string): GraphQLSchema {
  try {
    return buildSchema(sdl);
  } catch (error) {
    throw new SpecInvalidError(`Cannot read the schema snapshot of "${name}"`, [{ file: `snapshot of ${name}`, at: '', message: error instanceof Error ? error.message : String(error) }]);
  }
}

/** The public face of a remote schema: `rename` and `exclude` applied, one operation per remaining root field. */
export function convertRemoteSchema(name: string, schema: GraphQLSchema, options: Pick<GraphqlSourceOptions, 'rename' | 'exclude'>, hidden: ReadonlySet<string> = new Set()): GraphqlSource {
  const rename = options.rename ?? {};
  const exclude = new Set(options.exclude ?? []);
  const rootFields = new Map<string, RootTypeName>();
  for (const rootType of ROOT_TYPES) {
    const type = rootTypeOf(schema, rootType);
    if (type) for (const field of Object.keys(type.getFields())) rootFields.set(field, rootType);
  }
  const typeNames = new Set(Object.keys(schema.getTypeMap()).filter((t) => !t.startsWith('__')));
  const configProblems: ConfigKeyProblem[] = [];
  for (const key of Object.keys(rename)) {
    if (!rootFields.has(key) && !typeNames.has(key)) configProblems.push({ key: `rename.${key}`, message: `"${key}" is no root field or type of the remote schema` });
  }
  (options.exclude ?? []).forEach((key, index) => {
    if (!rootFields.has(key) && !typeNames.has(key)) configProblems.push({ key: `exclude[${index}]`, message: `"${key}" is no root field or type of the remote schema` });
  });

  const transforms: Transform[] = [];
  if (exclude.size > 0 || hidden.size > 0) {
    transforms.push(new FilterRootFields((_op, field) => !exclude.has(field) && !hidden.has(field)));
    transforms.push(new FilterTypes((type) => !exclude.has(type.name)));
  }
  if (Object.keys(rename).length > 0) {
    const renamedType = (type: string) => (isRootTypeName(schema, type) ? type : (rename[type] ?? type));
    transforms.push(new RenameTypes(renamedType));
    transforms.push(new RenameRootFields((_op, field) => rename[field] ?? field));
  }
  const publicSchema = transforms.length > 0 ? new Subschema({ schema, transforms }).transformedSchema : schema;

  const operations = new Map<string, OperationSpec>();
  const operationByRemoteField = new Map<string, OperationSpec>();
  for (const [field, rootType] of rootFields) {
    const operation: OperationSpec = { rootType, fieldName: rename[field] ?? field, operationId: `${rootType}.${field}`, readOnly: rootType !== 'Mutation' };
    operationByRemoteField.set(`${rootType}.${field}`, operation);
    // Excluded fields are not exposed (nor those whose type was excluded), but the gateway may still call hidden
    // ones (Federation's `_entities`).
    if (rootTypeOf(publicSchema, rootType)?.getFields()[operation.fieldName]) operations.set(`${rootType}.${operation.fieldName}`, operation);
  }
  return { name, kind: 'graphql', schema, transforms, typeDefs: printSchema(publicSchema), operations, operationByRemoteField, configProblems, entities: [], notes: [] };
}

/** The remote's root type by its role (a schema may name its query type `RootQuery`). */
export function rootTypeOf(schema: GraphQLSchema, rootType: RootTypeName) {
  return rootType === 'Query' ? schema.getQueryType() : rootType === 'Mutation' ? schema.getMutationType() : schema.getSubscriptionType();
}

/** Root types keep their names: stitching merges them by role. */
function isRootTypeName(schema: GraphQLSchema, type: string): boolean {
  return ROOT_TYPES.some((root) => rootTypeOf(schema, root)?.name === type);
}

function readFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new SpecInvalidError(`Cannot read ${file}`, [{ file, at: '', message: error instanceof Error ? error.message : String(error) }]);
  }
}

function readSchemaFile(file: string): GraphQLSchema {
  try {
    return buildSchema(readFile(file));
  } catch (error) {
    if (error instanceof SpecInvalidError) throw error;
    throw new SpecInvalidError(`Cannot load GraphQL schema ${file}`, [{ file, at: '', message: error instanceof Error ? error.message : String(error) }]);
  }
}

/** The operation of load-time calls (introspection, `_service`): never cached, it does not go through a pipeline. */
export function loadTimeOperation(source: string): OperationSpec {
  return { rootType: 'Query', fieldName: '__schema', operationId: `${source}:load`, readOnly: true };
}

/** One query to the first endpoint at load time (introspection, a subgraph's SDL), failing as SPEC_INVALID naming it. */
export async function queryAtLoad<T>(options: Pick<GraphqlSourceOptions, 'name' | 'endpoint' | 'headers' | 'timeoutMs'>, query: string, at: string): Promise<T> {
  await using transport: Transport = createGraphqlTransport({ name: options.name, ...(options.headers ? { headers: options.headers } : {}) } satisfies GraphqlTransportOptions);
  const fail = (message: string) => new SpecInvalidError(`Cannot load GraphQL source "${options.name}" (${at})`, [{ file: options.endpoint, at, message }]);
  let result: { data?: T; errors?: { message: string }[] };
  try {
    result = (await transport.call(options.endpoint, loadTimeOperation(options.name), { query }, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      headers: {},
    })) as typeof result;
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error));
  }
  if (!result.data) throw fail(result.errors?.map((e) => e.message).join('; ') ?? `no data in the ${at} result`);
  return result.data;
}

async function introspect(options: GraphqlSourceOptions): Promise<GraphQLSchema> {
  const data = await queryAtLoad<IntrospectionQuery>(options, getIntrospectionQuery(), 'introspection');
  try {
    return buildClientSchema(data);
  } catch (error) {
    throw new SpecInvalidError(`Cannot introspect GraphQL source "${options.name}"`, [{ file: options.endpoint, at: 'introspection', message: error instanceof Error ? error.message : String(error) }]);
  }
}
